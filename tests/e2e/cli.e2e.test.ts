import { type ChildProcess, execFile, spawn } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildJs } from '../../src/client/scripts/build'
import { hasModelPack } from '../../src/gpu-worker/testing/modelPack'
import { hasSampleImages, readSampleImages } from '../../src/gpu-worker/testing/sampleImages'
import { LocalStack } from './localStack'

if (!hasSampleImages()) console.warn('cli e2e skipped: ../shared/images/imagenet-samples.tar is absent')
if (!hasModelPack()) console.warn('cli e2e skipped: the default model pack (models/cifar10-cnn) is absent')

const ROOT = resolve(import.meta.dirname, '../..')
// The tool as `npx t-tame` finds it: the workspace's bin, linked by `npm ci`.
const BIN = join(ROOT, 'node_modules/.bin/t-tame')
const PHOTOS = 30

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** The PNG's width and height, from its IHDR chunk. */
const pngSize = (bytes: Buffer) => ({ width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) })

describe.skipIf(!hasSampleImages() || !hasModelPack())('the t-tame command on the local stack', () => {
  const stack = new LocalStack()
  const dir = mkdtempSync(join(tmpdir(), 't-tame-cli-'))
  const photosDir = join(dir, 'photos')
  let env: NodeJS.ProcessEnv

  /** Starts `t-tame args…` with the stack's URL and key in the environment. */
  function start(
    args: string[],
    extraEnv: NodeJS.ProcessEnv = {},
  ): { child: ChildProcess; done: Promise<Run> } {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...env, ...extraEnv } })
    const out: string[] = []
    const err: string[] = []
    child.stdout?.on('data', (chunk) => out.push(String(chunk)))
    child.stderr?.on('data', (chunk) => err.push(String(chunk)))
    const done = new Promise<Run>((resolve) =>
      child.on('close', (code) => resolve({ code, stdout: out.join(''), stderr: err.join('') })),
    )
    return { child, done }
  }
  const run = (args: string[], extraEnv?: NodeJS.ProcessEnv) => start(args, extraEnv).done

  beforeAll(async () => {
    // The sources under test, built where the bin finds them (`npm ci` builds them the same way).
    await buildJs(join(ROOT, 'src/client/dist'))
    mkdirSync(photosDir)
    const photos = [...readSampleImages()].slice(0, PHOTOS)
    for (const [name, bytes] of photos) writeFileSync(join(photosDir, name), bytes)
    await stack.start()
    env = { ...process.env, T_TAME_URL: stack.edgeUrl, T_TAME_API_KEY: stack.apiKey }
  })
  afterAll(async () => {
    await stack.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('is on the path of npx in the repository', async () => {
    const { stdout } = await promisify(execFile)('npx', ['--no-install', 't-tame', '--version'], {
      cwd: ROOT,
    })
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
  })

  it('explains one photo: a table of predictions, the overlay PNG at the photo size, every map', async () => {
    const [photo] = readdirSync(photosDir).sort()
    const result = await run([
      'explain',
      join(photosDir, photo as string),
      '--top-k',
      '2',
      '--overlay',
      'cat.png',
      '--maps',
      'maps',
    ])
    expect(result, result.stderr).toMatchObject({ code: 0 })
    const lines = result.stdout.trim().split('\n')
    expect(lines[1]?.split(/\s+/)).toEqual(['rank', 'class', 'label', 'score'])
    expect(lines.slice(2)).toHaveLength(2)
    expect(lines[2]?.trim()).toMatch(/^1\s+\d+\s+\S.*\s0\.\d{3}$/)

    const overlay = readFileSync(join(dir, 'cat.png'))
    const json = await run(['explain', join(photosDir, photo as string), '--top-k', '2', '--json'])
    const answer = JSON.parse(json.stdout) as {
      image: { width: number; height: number }
      explanations: unknown[]
    }
    expect(pngSize(overlay)).toEqual({ width: answer.image.width, height: answer.image.height })
    expect(readdirSync(join(dir, 'maps')).filter((name) => name.includes('.map-'))).toHaveLength(2)
    // The folder's overlays have the file's encoding, PNG, named by their type.
    expect(readdirSync(join(dir, 'maps')).filter((name) => /\.overlay-\d+\.png$/.test(name))).toHaveLength(2)
  })

  it('lists the served models, and one model’s class ids and labels for --classes', async () => {
    const listed = await run(['models'])
    expect(listed, listed.stderr).toMatchObject({ code: 0 })
    const [header, ...rows] = listed.stdout.trim().split('\n')
    expect(header?.split(/\s+/)).toEqual(['model', 'family', 'classes', 'input', 'map', 'default'])
    const defaults = rows.filter((row) => row.trimEnd().endsWith('yes'))
    expect(defaults).toHaveLength(1)
    const model = defaults[0]?.split(/\s+/)[0] as string
    expect(model).toMatch(/^cifar10-cnn@\d+\.\d+\.\d+$/)

    const classes = await run(['models', model])
    expect(classes, classes.stderr).toMatchObject({ code: 0 })
    const lines = classes.stdout.trim().split('\n')
    expect(lines[0]).toMatch(new RegExp(`^${model}: 10 classes, cnn, input \\d+x\\d+$`))
    expect(lines.slice(2).map((line) => line.trim().split(/\s+/))).toContainEqual(['3', 'cat'])
    const json = JSON.parse((await run(['models', model, '--json'])).stdout) as { labels: string[] }
    expect(json.labels).toHaveLength(10)
    const unknown = await run(['models', 'no-such-model'])
    expect([unknown.code, unknown.stderr]).toEqual([5, expect.stringContaining('no-such-model')])
  })

  it('says what went wrong and exits with a status per kind of failure', async () => {
    const photo = join(photosDir, readdirSync(photosDir)[0] as string)
    const badKey = await run(['explain', photo], { T_TAME_API_KEY: 'wrong' })
    expect(badKey.code).toBe(3)
    expect(badKey.stderr).toMatch(/HTTP 401, request .+\n.*--key or T_TAME_API_KEY/)
    const refused = await run(['explain', photo, '--top-k', '11'])
    expect(refused.code).toBe(5)
    expect(refused.stderr).toContain('topK')
    const unreachable = await run(['explain', photo], { T_TAME_URL: 'http://127.0.0.1:9' })
    expect(unreachable.code).toBe(4)
    expect(unreachable.stderr).toContain('--url or T_TAME_URL')
    expect((await run(['explain', join(dir, 'missing.jpg')])).code).toBe(2)
    expect((await run(['explain', photo, '--top'])).code).toBe(2)
    const gif = await run(['explain', photo, '--overlay', 'cat.gif'])
    expect([gif.code, gif.stderr]).toEqual([2, expect.stringContaining('.webp, .png or .jpg')])
    expect((await run(['explain', photo], { T_TAME_API_KEY: '' })).stderr).toContain('No API key')
  })

  it('runs a batch of 30 photos, killed once its job is under way and run again: one result per photo', async () => {
    const out = join(dir, 'results')
    const args = ['batch', photosDir, '--out', out, '--top-k', '1', '--progress', 'bar']
    const first = start(args)
    // Kill it (SIGKILL: no clean-up) as soon as its job exists: uploads done, no result written yet.
    const journal = join(out, '.t-tame-batch.json')
    const journaledJob = () =>
      existsSync(journal)
        ? (JSON.parse(readFileSync(journal, 'utf8')).chunks[0]?.jobId as string | undefined)
        : undefined
    let jobId: string | undefined
    for (const deadline = Date.now() + 60_000; !jobId && Date.now() < deadline; ) {
      await new Promise((done) => setTimeout(done, 20))
      jobId = journaledJob()
    }
    first.child.kill('SIGKILL')
    const killed = await first.done
    expect(killed.code, killed.stderr).toBeNull()
    expect(killed.stderr).toMatch(/uploads +\[#{24}\] 30\/30/)
    expect(
      readdirSync(out).filter((name) => name.endsWith('.json') && !name.startsWith('.')).length,
    ).toBeLessThan(PHOTOS)

    const rerun = await run(args)
    expect(rerun, rerun.stderr).toMatchObject({ code: 0 })
    expect(rerun.stderr).not.toContain('uploads') // everything was uploaded before the kill
    expect(rerun.stderr).toMatch(/items +\[#{24}\] +\d+\/\d+/)
    expect(rerun.stdout).toContain(`${PHOTOS} images in ${photosDir}`)

    const photos = readdirSync(photosDir).sort()
    const results = readdirSync(out).filter((name) => name.endsWith('.json') && !name.startsWith('.'))
    expect(results.sort()).toEqual(photos.map((photo) => `${photo}.json`))
    for (const photo of photos) {
      const record = JSON.parse(readFileSync(join(out, `${photo}.json`), 'utf8'))
      // The job of the first run, found again: no photo went through a second job.
      expect(record).toMatchObject({ image: photo, jobId, result: { predictions: [expect.anything()] } })
      const [explanation] = record.result.explanations
      expect(explanation.overlayFile).toMatch(/\.overlay-\d+\.webp$/)
      const overlay = await sharp(join(out, explanation.overlayFile)).metadata()
      expect([overlay.format, overlay.width, overlay.height]).toEqual([
        'webp',
        record.result.image.width,
        record.result.image.height,
      ])
    }
    expect(JSON.parse(readFileSync(journal, 'utf8')).chunks).toEqual([])
    expect(readdirSync(out).filter((name) => name.endsWith('.tmp'))).toEqual([])

    // Results removed by hand are made again; the others are left as they are.
    const kept = statSync(join(out, `${photos[0]}.json`)).mtimeMs
    for (const photo of photos.slice(-5)) rmSync(join(out, `${photo}.json`))
    const again = await run(args)
    expect(again, again.stderr).toMatchObject({ code: 0 })
    expect(again.stdout).toContain(`5 explained now, ${PHOTOS - 5} already done, 0 failed`)
    expect(statSync(join(out, `${photos[0]}.json`)).mtimeMs).toBe(kept)
    expect(readdirSync(out).filter((name) => name.endsWith('.json') && !name.startsWith('.'))).toHaveLength(
      PHOTOS,
    )
  })
})
