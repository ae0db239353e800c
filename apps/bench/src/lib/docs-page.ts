import { readFile, writeFile } from 'node:fs/promises';

export const BEGIN = '<!-- bench:begin (written by npm run bench; edit outside these markers) -->';
export const END = '<!-- bench:end -->';

/**
 * Puts the latest figures between the markers of the benchmarks page, leaving the rest (the analysis written by
 * hand) as it is; fails if the markers are gone rather than overwrite the page.
 */
export async function writeDocsSection(file: string, section: string): Promise<void> {
  const page = await readFile(file, 'utf8');
  const from = page.indexOf(BEGIN);
  const to = page.indexOf(END);
  if (from < 0 || to < from) throw new Error(`${file} has no "${BEGIN}" … "${END}" markers to write between`);
  await writeFile(file, `${page.slice(0, from + BEGIN.length)}\n${section}\n${page.slice(to)}`);
}
