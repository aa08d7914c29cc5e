/** Structured one-line JSON logs on stderr. Callers pass facts, never secrets (tokens, image bytes). */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`)
}

export const jsonLogger: Logger = { info: write('info'), warn: write('warn'), error: write('error') }

export const silentLogger: Logger = { info() {}, warn() {}, error() {} }
