// Errors of the stack loader and of deploys. A loader error lists every problem found, each with the
// file and, where the YAML says, the line and column, so an editor can mark them.

export interface StackIssue {
  /** The compose file (as named in the request), or '' for project-wide problems. */
  file: string;
  /** 1-based; 0 when the problem has no place in a file (a cycle, a missing image). */
  line: number;
  col: number;
  /** Dotted path of the value, e.g. services.web.ports[0]. */
  path: string;
  message: string;
}

export class StackError extends Error {
  readonly issues: StackIssue[];
  /** HTTP-ish status for the API layer: 400 bad input, 403 not allowed, 404 no such stack, 409 conflict. */
  readonly statusCode: number;

  constructor(issues: StackIssue[] | string, statusCode = 400) {
    const list = typeof issues === 'string' ? [{ file: '', line: 0, col: 0, path: '', message: issues }] : issues;
    super(list.map(formatIssue).join('\n'));
    this.name = 'StackError';
    this.issues = list;
    this.statusCode = statusCode;
  }
}

export function formatIssue(i: StackIssue): string {
  const where = i.file ? `${i.file}${i.line ? `:${i.line}:${i.col}` : ''}: ` : '';
  return `${where}${i.path ? `${i.path}: ` : ''}${i.message}`;
}

export function issue(message: string, at: Partial<Omit<StackIssue, 'message'>> = {}): StackIssue {
  return { file: at.file ?? '', line: at.line ?? 0, col: at.col ?? 0, path: at.path ?? '', message };
}
