import { NetworkError, ProblemError } from '../errors'

/** The tool's exit statuses, one per kind of outcome a script may want to tell apart. */
export const EXIT = {
  ok: 0,
  /** Some images failed, or something unexpected went wrong. */
  failed: 1,
  /** Bad arguments, a missing API key, an unreadable file. */
  usage: 2,
  /** The API refused the key (401, 403). */
  auth: 3,
  /** The API could not be reached, timed out, or answered 429/5xx after the retries. */
  network: 4,
  /** The API refused the input or options (another 4xx). */
  refused: 5,
} as const

/** A mistake in how the tool was called; its message says what to do instead. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

const FILE_ERRORS = new Set(['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR'])

/** What to tell the user about an error that ended the run, and the exit status. */
export function describeFailure(error: unknown): { message: string; exitCode: number } {
  if (error instanceof UsageError)
    return { message: `${error.message}\nSee: t-tame --help`, exitCode: EXIT.usage }
  if (error instanceof ProblemError) {
    if (error.status === 401 || error.status === 403)
      return { message: `${error.message}\nCheck --key or T_TAME_API_KEY.`, exitCode: EXIT.auth }
    if (error.status === 429 || error.status >= 500) return { message: error.message, exitCode: EXIT.network }
    return { message: error.message, exitCode: EXIT.refused }
  }
  if (error instanceof NetworkError) {
    return { message: `${error.message}\nCheck --url or T_TAME_URL.`, exitCode: EXIT.network }
  }
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && FILE_ERRORS.has(code)) {
    return { message: (error as Error).message, exitCode: EXIT.usage }
  }
  return {
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    exitCode: EXIT.failed,
  }
}
