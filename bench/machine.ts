import { cpus, loadavg } from 'node:os'

/** The machine a figure was measured on, as each benchmark prints it first: cores and load averages (1, 5, 15 min). */
export const machineLoad = () =>
  `${cpus().length} CPUs, load average ${loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')}`
