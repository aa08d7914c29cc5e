import { parseArgs } from 'node:util'
import type { Model, ModelListEntry } from '../types'
import { UsageError } from './failure'
import { type Io, prettyJson, table } from './io'
import { CONNECTION_OPTIONS, clientFrom } from './options'

const OPTIONS = { ...CONNECTION_OPTIONS, json: { type: 'boolean' } } as const

export const MODELS_USAGE = `Usage: t-tame models [model] [options]

Lists the models the API serves; with a model (id or id@version), that model's classes: the ids and labels
that --classes and --model of explain and batch take.

  --json              print the API's JSON answer instead of the table
  --url <url>, --key <key>   the API and its key (default: T_TAME_URL, T_TAME_API_KEY)`

const size = ({ width, height }: { width: number; height: number }) => `${width}x${height}`

function modelTable(models: ModelListEntry[]): string {
  const rows = models.map((model) => [
    `${model.id}@${model.version}`,
    model.family,
    model.numClasses,
    size(model.input),
    size(model.mapSize),
    model.default ? 'yes' : '',
  ])
  return `${table(['model', 'family', 'classes', 'input', 'map', 'default'], rows)}\n`
}

function classTable(model: Model): string {
  const head = `${model.id}@${model.version}: ${model.numClasses} classes, ${model.family}, input ${size(model.input)}`
  return `${head}\n${table(
    ['class', 'label'],
    model.labels.map((label, classId) => [classId, label]),
  )}\n`
}

/** `t-tame models [model]`: the served models, or one model's class ids and labels. */
export async function modelsCommand(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true })
  if (values.help) return void io.stdout.write(`${MODELS_USAGE}\n`)
  const [id, ...extra] = positionals
  if (extra.length) throw new UsageError('Name at most one model: t-tame models [model].')
  const client = clientFrom(values, io.env)
  if (id === undefined) {
    // Without labels: a 1000-class model's would be most of the answer, and the table shows none.
    const models = await client.listModels({ labels: false })
    io.stdout.write(values.json ? prettyJson({ models }) : modelTable(models))
  } else {
    const model = await client.getModel(id)
    io.stdout.write(values.json ? prettyJson(model) : classTable(model))
  }
}
