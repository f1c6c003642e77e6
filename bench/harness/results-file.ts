/**
 * RESULTS.md is one section per scenario, each between markers, so running a subset of the
 * scenarios (`npm run bench -- saver`) replaces their sections and keeps the others.
 */
const HEADER = `# Benchmark results

Written by \`npm run bench\` (see \`bench/run.ts\`); do not edit by hand. Each section says when and
on what machine it was measured: sections from different runs may sit side by side.
`;

const begin = (id: string) => `<!-- bench:${id} -->`;
const end = (id: string) => `<!-- /bench:${id} -->`;

/** A scenario's section, ready for the file. */
export interface ResultSection {
  readonly id: string;
  /** Sort key: the scenario's number. */
  readonly order: number;
  readonly markdown: string;
}

/** `existing` (the current file, or empty) with `sections` replaced or added, in scenario order. */
export function mergeResults(existing: string, sections: readonly ResultSection[]): string {
  const kept = new Map<string, ResultSection>();
  const pattern = /<!-- bench:([\w-]+) order:(\d+) -->\n([\s\S]*?)\n<!-- \/bench:\1 -->/g;
  for (const match of existing.matchAll(pattern)) {
    kept.set(match[1], { id: match[1], order: Number(match[2]), markdown: match[3] });
  }
  for (const section of sections) kept.set(section.id, section);
  const ordered = [...kept.values()].sort((a, b) => a.order - b.order);
  return (
    [
      HEADER,
      ...ordered.map(
        (s) =>
          `${begin(s.id).replace(' -->', ` order:${s.order} -->`)}\n${s.markdown}\n${end(s.id)}`,
      ),
    ].join('\n') + '\n'
  );
}
