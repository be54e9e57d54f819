/**
 * Exit codes of the `verdict` command. `check` maps decisions to 0-3; every error that
 * stops a command (usage, file, auth, connection, unexpected answer) is 4.
 */
export const EXIT = {
  ok: 0,
  ship: 0,
  continue: 1,
  rollback: 2,
  invalid: 3,
  /** apply: some change was refused or rejected by the server. */
  refused: 1,
  error: 4,
} as const;

/** An error that ends the command with one line on stderr (never a stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A mistake in the command line; the message says what to do instead. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.error);
    this.name = 'UsageError';
  }
}
