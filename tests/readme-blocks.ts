/** The README's fenced code blocks, for the tests that run them (tests/readme.test.ts, tests/e2e/package-install.test.ts). */

/** One fenced code block of the README. */
export interface ReadmeBlock {
  lang: string;
  code: string;
  /** The `## ` heading it sits under. */
  section: string;
  /** The repository file the prose just before it says it is ("This is `examples/corridor.ts`"). */
  file: string | undefined;
}

/** Every fenced block of a markdown text, with its section and the file the prose before it names. */
export function readmeBlocks(text: string): ReadmeBlock[] {
  const blocks: ReadmeBlock[] = [];
  let section = '';
  let prose = '';
  let open: { lang: string; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    if (open) {
      if (line.startsWith('```')) {
        const named = [...prose.matchAll(/this is `([^`]+\.[a-z]+)`/gi)].at(-1)?.[1];
        blocks.push({ lang: open.lang, code: `${open.lines.join('\n')}\n`, section, file: named });
        open = undefined;
        prose = '';
      } else {
        open.lines.push(line);
      }
    } else if (line.startsWith('```')) {
      open = { lang: line.slice(3).trim(), lines: [] };
    } else {
      if (line.startsWith('## ')) section = line.slice(3).trim();
      prose += `${line}\n`;
    }
  }
  return blocks;
}

/** The README section whose blocks tests/e2e/package-install.test.ts runs in a freshly installed project. */
export const OWN_PROJECT = 'Use rxgym in your own project';
