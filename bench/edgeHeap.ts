import WebSocket from 'ws'

/**
 * The edge Worker's JavaScript heap in use, in MiB, read through `wrangler dev`'s inspector (the Chrome DevTools
 * protocol, at the port `npm start` gives it: the edge's port + 10000). It tells memory the Worker's code keeps
 * from what workerd holds outside the isolate's heap. workerd does not answer `HeapProfiler.collectGarbage`, so
 * this is the heap as V8 left it: garbage not yet collected included.
 */
export async function edgeHeapMiB(inspectorPort: number, timeoutMs = 5000): Promise<number> {
  // The inspector proxy takes DevTools' own origin only.
  const socket = new WebSocket(`ws://127.0.0.1:${inspectorPort}/ws`, {
    headers: { Origin: 'https://devtools.devprod.cloudflare.dev' },
  })
  const timer = setTimeout(() => socket.terminate(), timeoutMs)
  try {
    return await new Promise<number>((answered, failed) => {
      socket.once('error', failed)
      socket.once('close', () => failed(new Error('the inspector closed the connection without an answer')))
      socket.once('open', () => socket.send(JSON.stringify({ id: 1, method: 'Runtime.getHeapUsage' })))
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { id?: number; result?: { usedSize?: number } }
        if (message.id === 1) answered((message.result?.usedSize ?? Number.NaN) / 2 ** 20)
      })
    })
  } finally {
    clearTimeout(timer)
    socket.close()
  }
}
