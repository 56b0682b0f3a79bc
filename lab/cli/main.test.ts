import { strict as expect } from 'node:assert';
import { describe, it } from 'node:test';
import { captureIo } from '../../test/kits/cli/io.testkit.js';
import { main } from './main.js';

describe('the driverlab command line', () => {
  it('lists its commands with --help and exits 0', async () => {
    const io = captureIo();
    expect.equal(await main(['--help'], io), 0);
    expect.match(io.out, /^Usage: driverlab <command> \[options\]/);
    // Names are padded to the longest command name ('buckets').
    expect.match(io.out, /\n {2}run {6}run the features on a lab/);
    expect.match(io.out, /\n {2}report {3}generate the HTML report/);
    expect.match(io.out, /\n {2}gate {5}the release-gate verdict/);
    expect.equal(io.err, '');
  });

  it('prints the overview on stderr and exits 2 when no command is given', async () => {
    const io = captureIo();
    expect.equal(await main([], io), 2);
    expect.match(io.err, /^Usage: driverlab/);
  });

  it('refuses an unknown command with one sentence and exit code 2', async () => {
    const io = captureIo();
    expect.equal(await main(['nonsense'], io), 2);
    expect.equal(
      io.err,
      "'nonsense' is not a driverlab command; run 'driverlab --help' to see the commands.\n",
    );
    expect.equal(io.out, '');
  });

  it('suggests the command meant when one is close', async () => {
    const io = captureIo();
    expect.equal(await main(['repot'], io), 2);
    expect.equal(
      io.err,
      "'repot' is not a driverlab command; run 'driverlab --help' to see the commands. Did you mean 'report'?\n",
    );
  });

  it('refuses an unknown top-level option', async () => {
    const io = captureIo();
    expect.equal(await main(['--frobnicate'], io), 2);
    expect.equal(
      io.err,
      "'--frobnicate' is not an option of driverlab; run 'driverlab --help' to see the commands.\n",
    );
  });

  it("shows a command's help with --help and exits 0 without running it", async () => {
    const io = captureIo();
    expect.equal(await main(['run', '--help'], io), 0);
    expect.match(io.out, /^Usage: driverlab run \[options\] \[feature paths…\]/);
    expect.match(io.out, /--parallel N/);
  });

  it('refuses a bad option of a command with one sentence and exit code 2', async () => {
    for (const [args, sentence] of [
      [
        ['run', '--bogus'],
        "'driverlab run' has no option '--bogus'; run 'driverlab run --help' to see the options it takes.\n",
      ],
      [
        ['run', '--parallel', 'two'],
        "The option '--parallel' of 'driverlab run' needs a whole number of 1 or more, not 'two'.\n",
      ],
      [
        ['run', '--parallel', '0'],
        "The option '--parallel' of 'driverlab run' needs a whole number of 1 or more, not '0'.\n",
      ],
      [
        ['run', '--tags'],
        "The option '--tags' of 'driverlab run' needs a value; run 'driverlab run --help' to see its usage.\n",
      ],
      [
        ['run', '--profile', 'fast'],
        "'driverlab run' has no profile 'fast'; choose one of default, hyperv, nightly, gating.\n",
      ],
      [
        ['report', '--x'],
        "'driverlab report' has no option '--x'; run 'driverlab report --help' to see its usage.\n",
      ],
      [
        ['report', 'somewhere'],
        "'driverlab report' takes no argument 'somewhere'; name the results directory with --results.\n",
      ],
    ] as const) {
      const io = captureIo();
      expect.equal(await main([...args], io), 2, args.join(' '));
      expect.equal(io.err, sentence);
    }
  });

  it('reports a bad lab file as a configuration problem before anything runs (exit 2)', async () => {
    const io = captureIo();
    expect.equal(await main(['run', '--lab', 'no/such/lab.yaml'], io), 2);
    expect.match(
      io.err,
      /^driverlab run: The lab file '.*no\/such\/lab\.yaml' cannot be read \(ENOENT\); check the path given with --lab or DRIVERLAB_LAB\.\n$/,
    );
  });

  it('reports a missing results directory as one sentence (exit 2)', async () => {
    const io = captureIo();
    expect.equal(await main(['report', '--results', 'no/such/results'], io), 2);
    expect.match(
      io.err,
      /There are no Allure results in '.*no\/such\/results', because there is no such folder; run 'driverlab run' first/,
    );
  });
});
