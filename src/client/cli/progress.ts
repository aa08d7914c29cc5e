/** How progress is shown: a bar redrawn in place (terminals), a line now and then (logs), or nothing. */
export type ProgressMode = 'bar' | 'plain' | 'none'

export const PROGRESS_MODES: readonly ProgressMode[] = ['bar', 'plain', 'none']

/** Progress of one phase after another (`uploads`, then `items`), on stderr. */
export interface Progress {
  /** `done` of `total` finished (`failed` of them failed). */
  update(phase: string, done: number, total: number, failed?: number): void
  /** A message that stays, printed above the bar. */
  note(message: string): void
  /** Leaves the bar's last state on its line. */
  end(): void
}

const BAR_WIDTH = 24
// A bar is redrawn at most this often, plain lines printed at most this often (the last state always is).
const BAR_FRAME_MS = 100
const PLAIN_LINE_MS = 2000

function line(phase: string, done: number, total: number, failed: number, bar: boolean): string {
  const counts = `${String(done).padStart(String(total).length)}/${total}${failed ? `  failed ${failed}` : ''}`
  if (!bar) return `${phase} ${counts}`
  const filled = total ? Math.round((BAR_WIDTH * done) / total) : BAR_WIDTH
  return `${phase.padEnd(8)} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${counts}`
}

/** Progress on `stream` in `mode`. */
export function createProgress(mode: ProgressMode, stream: NodeJS.WritableStream): Progress {
  let shown = '' // the bar on screen, '' when none
  let last = { text: '', at: 0 }
  const clear = () => shown && stream.write('\r\x1b[2K')
  return {
    update(phase, done, total, failed = 0) {
      if (mode === 'none') return
      const finished = done >= total
      const text = line(phase, done, total, failed, mode === 'bar')
      const now = Date.now()
      if (
        text === last.text ||
        (!finished && now - last.at < (mode === 'bar' ? BAR_FRAME_MS : PLAIN_LINE_MS))
      )
        return
      last = { text, at: now }
      if (mode === 'plain') return void stream.write(`${text}\n`)
      clear()
      stream.write(text)
      shown = text
      if (finished) {
        stream.write('\n')
        shown = ''
      }
    },
    note(message) {
      clear()
      stream.write(`${message}\n`)
      if (shown) stream.write(shown)
    },
    end() {
      if (shown) stream.write('\n')
      shown = ''
    },
  }
}
