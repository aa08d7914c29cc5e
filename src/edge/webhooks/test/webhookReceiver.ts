import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestProject } from 'vitest/node'
import './providedContext'

/**
 * A webhook receiver for the edge's workerd tests, over real HTTP from the vitest Node process. Each inbox
 * `/hooks/<name>` answers with the statuses a test scripts via `POST /inbox/<name>` ({ "statuses": [500, 200] },
 * the last one repeating; default 200; 0 = never answer) and records every request, read back via
 * `GET /inbox/<name>`.
 */

interface Inbox {
  statuses: number[]
  received: { headers: Record<string, string>; body: string; answered: number }[]
}

const inboxes = new Map<string, Inbox>()
const inboxOf = (name: string) => {
  let inbox = inboxes.get(name)
  if (!inbox) {
    inbox = { statuses: [200], received: [] }
    inboxes.set(name, inbox)
  }
  return inbox
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString()
}

function startReceiver(): Promise<Server> {
  const server = createServer(async (request, response) => {
    const body = await readBody(request)
    const [, kind, name] = /^\/(hooks|inbox)\/([\w-]+)$/.exec(request.url ?? '') ?? []
    if (!kind || !name) return void response.writeHead(404).end()
    const inbox = inboxOf(name)
    if (kind === 'inbox') {
      if (request.method === 'POST') inbox.statuses = (JSON.parse(body) as { statuses: number[] }).statuses
      return void response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(inbox))
    }
    const answered =
      inbox.statuses.length > 1 ? (inbox.statuses.shift() as number) : (inbox.statuses[0] ?? 200)
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([key, value]) => [key, String(value)]),
    )
    inbox.received.push({ headers, body, answered })
    if (answered !== 0) response.writeHead(answered).end()
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

export default async function setup(project: TestProject) {
  const server = await startReceiver()
  project.provide('webhookReceiverUrl', `http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections() // unanswered deliveries
    })
}
