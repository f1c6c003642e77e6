import { UNTITLED_THREAD, titleFromPrompt } from './thread-title';

const graphemeCount = (text: string) =>
  [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].length;

describe('titleFromPrompt', () => {
  it('collapses whitespace and control characters, and trims', () => {
    expect(titleFromPrompt('  What   is\n\tthe GDP\r\nof Czechia?\u0007 ')).toBe(
      'What is the GDP of Czechia?',
    );
  });

  it('keeps a title of exactly 50 characters whole', () => {
    expect(titleFromPrompt('a'.repeat(50))).toBe('a'.repeat(50));
  });

  it('cuts a longer one to the first 47 characters plus "..."', () => {
    expect(titleFromPrompt('b'.repeat(51))).toBe(`${'b'.repeat(47)}...`);
    expect(titleFromPrompt('c'.repeat(10_000))).toHaveLength(50);
  });

  it('counts after collapsing: 60 units of which 20 are spaces is 41 characters, kept', () => {
    expect(titleFromPrompt('ab  '.repeat(15))).toBe('ab '.repeat(15).trim());
  });

  it('does not leave a trailing space before the ellipsis', () => {
    expect(titleFromPrompt(`${'d'.repeat(46)} ${'e'.repeat(10)}`)).toBe(`${'d'.repeat(46)}...`);
  });

  it.each([
    ['a surrogate pair (emoji)', '😀'],
    ['a combining sequence', 'e\u0301'],
    ['a ZWJ family', '👨‍👩‍👧‍👦'],
    ['a flag', '🇨🇿'],
    ['a skin-tone modifier', '👍🏽'],
    ['Hangul jamo', '\u1100\u1161\u11a8'],
  ])('never splits %s at the cut', (_label, grapheme) => {
    for (let before = 44; before <= 48; before += 1) {
      const prompt = `${'x'.repeat(before)}${grapheme.repeat(4)}${'y'.repeat(10)}`;
      const title = titleFromPrompt(prompt);
      expect(title.endsWith('...')).toBe(true);
      const kept = title.slice(0, -3);
      expect(graphemeCount(kept)).toBe(47);
      // Whole graphemes only: the kept part is a prefix made of complete clusters.
      expect(prompt.startsWith(kept)).toBe(true);
      expect(kept).not.toMatch(/\p{Cs}/u); // no half of a surrogate pair
      const rest = prompt.slice(kept.length);
      expect(graphemeCount(kept) + graphemeCount(rest)).toBe(graphemeCount(prompt));
    }
  });

  it('counts 50 emoji as 50 characters, not 100', () => {
    expect(titleFromPrompt('😀'.repeat(50))).toBe('😀'.repeat(50));
    expect(titleFromPrompt('😀'.repeat(51))).toBe(`${'😀'.repeat(47)}...`);
  });

  it('titles a prompt with no visible text "Untitled conversation"', () => {
    for (const prompt of ['', '   ', '\n\t\r', '\u0000\u0001']) {
      expect(titleFromPrompt(prompt)).toBe(UNTITLED_THREAD);
    }
  });
});
