import packageJson from '../package.json' with { type: 'json' }
import { batchCommand } from './batchCommand'
import { explainCommand } from './explainCommand'
import { describeFailure, EXIT, UsageError } from './failure'
import type { Io } from './io'
import { modelsCommand } from './modelsCommand'
import { DEFAULT_URL } from './options'

const USAGE = `Usage: t-tame <command> [options]

  explain <image>            explain one photo: predictions as a table (or --json), overlay and maps as images
  batch <dir> --out <dir>    explain every image of a folder through uploads and jobs; re-run to resume
  models [model]             the models the API serves, or one model's class ids and labels

  t-tame <command> --help    the command's options
  t-tame --version

Every command takes --url (default: T_TAME_URL, else ${DEFAULT_URL}) and --key (default: T_TAME_API_KEY).
Exit status: ${EXIT.ok} done, ${EXIT.failed} some images failed (or an unexpected error), ${EXIT.usage} usage, \
${EXIT.auth} authentication, ${EXIT.network} network or server, ${EXIT.refused} input refused by the API.`

/** node:util parseArgs reports unknown or malformed flags with these codes. */
const isArgumentError = (error: unknown) =>
  error instanceof TypeError && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')

/** Runs the command `argv` names; answers the exit status, having said on stderr what went wrong. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...args] = argv
  try {
    if (command === 'explain') await explainCommand(args, io)
    else if (command === 'batch') return await batchCommand(args, io)
    else if (command === 'models') await modelsCommand(args, io)
    else if (command === '--version') io.stdout.write(`${packageJson.version}\n`)
    else if (command === '--help' || command === '-h' || command === 'help') io.stdout.write(`${USAGE}\n`)
    else throw new UsageError(command ? `Unknown command ${JSON.stringify(command)}.\n\n${USAGE}` : USAGE)
    return EXIT.ok
  } catch (error) {
    const failure = describeFailure(isArgumentError(error) ? new UsageError((error as Error).message) : error)
    io.stderr.write(`t-tame: ${failure.message}\n`)
    return failure.exitCode
  }
}

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
})
