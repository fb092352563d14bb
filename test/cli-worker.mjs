// The thread test/helpers.ts runs commands in: it loads the bundled CLI once
// (dist/cli/dmar.cjs, what bin/dmar.js runs) and runs one command per request,
// with the request's environment, stdin and buffers for stdout and stderr.
// The test thread waits on `signal` (helpers.ts dmar() is synchronous).
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import { workerData } from 'node:worker_threads';

const { bundle, port, signal } = workerData;
const cli = createRequire(import.meta.url)(bundle);

port.on('message', async ({ args, input, env }) => {
  const out = [];
  let err = '';
  const io = {
    env,
    stdin: input ?? new Uint8Array(0),
    stdout: (data) => void out.push(Buffer.from(data)),
    stderr: (text) => void (err += text),
    isTTY: { stdin: false, stdout: false, stderr: false },
    columns: undefined,
  };
  let status;
  try {
    status = await cli.main([process.execPath, 'dmar', ...args], io);
  } catch (e) {
    // as bin/dmar.js: only DMAR_DEBUG=1 lets an error through main()
    err += `${inspect(e)}\n`;
    status = 2;
  }
  port.postMessage({ status, stdout: Buffer.concat(out), stderr: err });
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
