// Which editor line a build error belongs to. Pure, so the Builds page and the server share it.

/** 1-based line of each instruction (the line it starts on), skipping comments, blanks and continuations. */
export function instructionLines(dockerfile: string): number[] {
  const lines = dockerfile.split('\n');
  const out: number[] = [];
  let continued = false;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.replace(/\r$/, '');
    const trimmed = text.trim();
    if (!continued) {
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      out.push(i + 1);
    } else if (trimmed.startsWith('#')) continue;
    continued = /\\\s*$/.test(text);
  }
  return out;
}

/** The line an error names ("line 3", "Dockerfile:3"), else the line of the step that was running. */
export function errorLine(message: string, dockerfile: string, lastStep: number | null): number | null {
  const named = /(?:Dockerfile[^:\s]*:|line\s+)(\d+)/i.exec(message);
  if (named) return Number(named[1]);
  if (lastStep && lastStep > 0) return instructionLines(dockerfile)[lastStep - 1] ?? null;
  return null;
}
