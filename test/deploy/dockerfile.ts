/**
 * Just enough of the Dockerfile syntax to run an image's steps outside a container
 * (./dockerfile.test.ts): stages, their ENV, WORKDIR, COPY, RUN and USER, and the final CMD and
 * HEALTHCHECK. Anything it does not know (a JSON-form COPY, say) is an error, not a silent skip.
 */
export interface Step {
  instruction: string;
  args: string;
  /** COPY --from=STAGE */
  from?: string;
  sources?: string[];
  destination?: string;
}

export interface Stage {
  name: string;
  /** The base image. */
  from: string;
  /** The last WORKDIR. */
  workdir: string;
  env: Record<string, string>;
  steps: Step[];
}

export interface Dockerfile {
  stages: Stage[];
  /** The exec form of CMD, as argv. */
  cmd: string[];
  /** What follows HEALTHCHECK. */
  healthcheck: string;
}

const known = new Set([
  'FROM',
  'ENV',
  'WORKDIR',
  'COPY',
  'RUN',
  'USER',
  'VOLUME',
  'EXPOSE',
  'HEALTHCHECK',
  'STOPSIGNAL',
  'CMD',
]);

export function parseDockerfile(text: string): Dockerfile {
  const lines = text
    .replace(/\\\n/g, ' ') // continuation lines
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages: Stage[] = [];
  let cmd: string[] = [];
  let healthcheck = '';
  for (const line of lines) {
    const [, instruction = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const name = instruction.toUpperCase();
    if (!known.has(name)) throw new Error(`Dockerfile: ${name} is not understood here`);
    if (name === 'FROM') {
      const [image = '', , as] = args.split(/\s+/);
      stages.push({ name: as ?? String(stages.length), from: image, workdir: '/', env: {}, steps: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error('Dockerfile: an instruction before FROM');
    const step: Step = { instruction: name, args };
    if (name === 'ENV') {
      for (const [, key, value] of args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
        stage.env[key!] = value!.startsWith('"') ? (JSON.parse(value!) as string) : value!;
      }
    } else if (name === 'WORKDIR') {
      stage.workdir = args;
    } else if (name === 'COPY') {
      if (args.startsWith('[')) throw new Error('Dockerfile: COPY in JSON form is not understood here');
      const words = args.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const paths = words.filter((w) => !w.startsWith('--'));
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      if (from) step.from = from;
      step.sources = paths.slice(0, -1);
      step.destination = paths.at(-1)!;
    } else if (name === 'CMD') {
      cmd = JSON.parse(args) as string[];
    } else if (name === 'HEALTHCHECK') {
      healthcheck = args;
    }
    stage.steps.push(step);
  }
  return { stages, cmd, healthcheck };
}
