import { type ChildProcess, spawn } from 'node:child_process';
import { freePort, type Latchkey, type TestClient } from './latchkey.ts';

/** examples/sign-in-with.ts as its own process, registered at `lk` with its callback URL. */
export interface SignInApp {
  url: string;
  client: TestClient;
  /** What the app printed so far. */
  output(): string;
  close(): void;
}

export async function startSignInApp(lk: Latchkey): Promise<SignInApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const client = await lk.createClient({
    name: 'Sign-in example',
    redirectUris: [`${url}/callback`],
    scopes: ['openid', 'profile', 'email'],
  });
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'examples/sign-in-with.ts'], {
    env: {
      ...process.env,
      LATCHKEY_ISSUER: lk.issuer,
      LATCHKEY_CLIENT_ID: client.clientId,
      LATCHKEY_CLIENT_SECRET: client.clientSecret,
      PORT: String(port),
      APP_URL: url,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`listening on ${url}`)) resolve();
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    child.once('exit', (code) => reject(new Error(`examples/sign-in-with.ts exited (${code}): ${output}`)));
  });
  return { url, client, output: () => output, close: () => child.kill('SIGTERM') };
}
