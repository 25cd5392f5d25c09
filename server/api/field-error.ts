// An error that belongs to form fields: the error formatter (trpc.ts) sends `fields` as fieldErrors, as it
// does for input validation, so a form shows e.g. the engine's refusal of a limit beside that limit.
export class FieldError extends Error {
  constructor(
    message: string,
    readonly fields: Record<string, string[]>,
  ) {
    super(message);
    this.name = 'FieldError';
  }
}
