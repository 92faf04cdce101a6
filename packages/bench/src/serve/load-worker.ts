import { type LoadOptions, runLoad } from './load.js';

// The load benchmark's client process (forked by benchmark.ts): the robots run here, not in the
// server's event loop, so that what is measured is the server's work and the loopback round trip.
process.once('message', (options: LoadOptions) => {
  runLoad(options).then(
    (result) => process.send!({ ok: true, result }, () => process.disconnect()),
    (error: Error) => process.send!({ ok: false, error: error.message }, () => process.disconnect()),
  );
});
