import { collapseWhitespace } from './thread-input';

/** Title of a thread whose first prompt has no visible text. */
export const UNTITLED_THREAD = 'Untitled conversation';
/** Longest title derived from a prompt, in user-perceived characters (grapheme clusters). */
export const TITLE_MAX_GRAPHEMES = 50;
/** What a longer prompt keeps before the ellipsis: 47 + `...` = 50, as the original did. */
const TITLE_CUT_GRAPHEMES = TITLE_MAX_GRAPHEMES - 3;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * The title of a new thread, from its first prompt: whitespace collapsed; longer than 50
 * characters → the first 47 plus `...`; nothing left → `Untitled conversation`.
 *
 * Characters are grapheme clusters, so the cut never splits a surrogate pair (an emoji), a
 * combining sequence (`e` + U+0301) or a joined emoji (a ZWJ family, a flag); the original cut by
 * code unit and could leave half an emoji.
 *
 * @example titleFromPrompt('  What   is\nthe GDP of Czechia? ') // 'What is the GDP of Czechia?'
 */
export function titleFromPrompt(prompt: string): string {
  const text = collapseWhitespace(prompt);
  if (text.length === 0) return UNTITLED_THREAD;
  if (text.length <= TITLE_CUT_GRAPHEMES) return text; // cannot be more graphemes than units

  let kept = 0; // UTF-16 length of the first 47 graphemes
  let count = 0;
  for (const { segment } of graphemes.segment(text)) {
    count += 1;
    if (count > TITLE_MAX_GRAPHEMES) return `${text.slice(0, kept).trimEnd()}...`;
    if (count <= TITLE_CUT_GRAPHEMES) kept += segment.length;
  }
  return text;
}
