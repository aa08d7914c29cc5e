import { connect, type Socket } from 'node:net'

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: Buffer
}

/**
 * One HTTP/1.1 connection driven byte by byte, for framing that fetch() will not send (a GET with a body, a
 * declared length never sent, a half-close) and for keep-alive follow-ups on the same socket.
 */
export class RawConnection {
  #buffer = Buffer.alloc(0)
  #waiting?: () => void
  #ended = false
  readonly #socket: Socket

  private constructor(socket: Socket) {
    this.#socket = socket
    socket.on('data', (chunk) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk])
      this.#waiting?.()
    })
    const end = () => {
      this.#ended = true
      this.#waiting?.()
    }
    socket.on('end', end)
    socket.on('close', end)
    socket.on('error', end)
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url)
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => resolve(new RawConnection(socket)))
      socket.once('error', reject)
    })
  }

  write(bytes: string | Uint8Array) {
    return new Promise<void>((done) => this.#socket.write(bytes, () => done()))
  }

  /** Half-close: no more bytes from us, the answer may still come. */
  endWriting() {
    this.#socket.end()
  }

  close() {
    this.#socket.destroy()
  }

  /** The next response on the connection, or undefined if none is complete within `timeoutMs`. */
  async response(timeoutMs: number): Promise<RawResponse | undefined> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const parsed = this.#take()
      if (parsed) return parsed
      const left = deadline - Date.now()
      if (left <= 0 || this.#ended) return undefined
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiting = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  }

  #take(): RawResponse | undefined {
    const end = this.#buffer.indexOf('\r\n\r\n')
    if (end < 0) return undefined
    const [statusLine = '', ...lines] = this.#buffer.subarray(0, end).toString('latin1').split('\r\n')
    const headers = Object.fromEntries(
      lines.map((line) => {
        const colon = line.indexOf(':')
        return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]
      }),
    )
    const status = Number(statusLine.split(' ')[1])
    const length = Number(headers['content-length'] ?? 0)
    if (headers['transfer-encoding'] === 'chunked') return this.#takeChunked(status, headers, end + 4)
    if (this.#buffer.length < end + 4 + length) return undefined
    const body = this.#buffer.subarray(end + 4, end + 4 + length)
    this.#buffer = this.#buffer.subarray(end + 4 + length)
    return { status, headers, body }
  }

  #takeChunked(status: number, headers: Record<string, string>, start: number): RawResponse | undefined {
    const parts: Buffer[] = []
    for (let at = start; ; ) {
      const lineEnd = this.#buffer.indexOf('\r\n', at)
      if (lineEnd < 0) return undefined
      const size = Number.parseInt(this.#buffer.toString('latin1', at, lineEnd), 16)
      if (this.#buffer.length < lineEnd + 2 + size + 2) return undefined
      if (size === 0) {
        this.#buffer = this.#buffer.subarray(lineEnd + 4)
        return { status, headers, body: Buffer.concat(parts) }
      }
      parts.push(this.#buffer.subarray(lineEnd + 2, lineEnd + 2 + size))
      at = lineEnd + 2 + size + 2
    }
  }
}

/** `bytes` as one HTTP/1.1 chunked body, in chunks of `chunkSize`, with its terminating chunk. */
export function chunked(bytes: Uint8Array, chunkSize = 64 * 1024): Buffer {
  const parts: Buffer[] = []
  for (let at = 0; at < bytes.length; at += chunkSize) {
    const chunk = bytes.subarray(at, at + chunkSize)
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), Buffer.from(chunk), Buffer.from('\r\n'))
  }
  parts.push(Buffer.from('0\r\n\r\n'))
  return Buffer.concat(parts)
}
