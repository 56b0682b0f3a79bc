// What a run prints on the console: one line per finished scenario — n/N, feature › scenario, the
// VM it ran on, its status and duration — and under a failed or broken one its one sentence and
// where its evidence is. On a terminal (not in CI) a live line below them shows how far the run
// is, what each VM runs, the failures so far and the time elapsed. Nothing else: the scripts,
// transcripts and attachments are evidence in the report, not console output.
// Plain JavaScript: Cucumber loads formatters by path, before any TypeScript loader is set up.
import { Formatter } from '@cucumber/cucumber';

const ALLURE_MESSAGE = 'application/vnd.allure.message+json';

/** The first line of an error message, without the stack, bounded. */
export function firstSentence(message) {
  const line = (message ?? '').split('\n').find((l) => l.trim() !== '') ?? '';
  const clean = line.replace(/^\w*Error: /, '').trim();
  return clean.length > 400 ? `${clean.slice(0, 399)}…` : clean;
}

/** The driverlab status of a finished test case from its worst step: failed (the product) or broken (the lab). */
export function statusOf(steps) {
  let status = 'passed';
  let message = null;
  for (const result of steps) {
    switch (result.status) {
      case 'PASSED':
        break;
      case 'SKIPPED':
        if (status === 'passed') status = 'skipped';
        break;
      case 'FAILED': {
        const product =
          /assert/i.test(result.exception?.type ?? '') || /^AssertionError/.test(result.message ?? '');
        if (status !== 'failed' && status !== 'broken') {
          status = product ? 'failed' : 'broken';
          message = result.exception?.message ?? result.message ?? null;
        }
        break;
      }
      default:
        // UNDEFINED, AMBIGUOUS, PENDING, UNKNOWN: the scenario could not run as written.
        if (status !== 'failed' && status !== 'broken') {
          status = 'broken';
          message = result.message ?? `a step is ${result.status.toLowerCase()}`;
        }
    }
  }
  return { status, message };
}

function seconds(start, end) {
  const ms = (end.seconds - start.seconds) * 1000 + (end.nanos - start.nanos) / 1e6;
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function clock(ms) {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export default class ConsoleFormatter extends Formatter {
  static documentation = 'driverlab: one line per finished scenario, and a live progress line on a terminal';

  constructor(options) {
    super(options);
    this.live = Boolean(options.stream?.isTTY) && !process.env.CI;
    this.features = new Map(); // uri → feature name
    this.pickles = new Map(); // pickle id → pickle
    this.testCases = new Map(); // test case id → pickle id
    this.started = new Map(); // test case started id → { testCaseId, timestamp, steps: [], vm }
    this.total = 0;
    this.done = 0;
    this.failures = 0;
    this.begin = Date.now();
    this.evidence = `${process.env.DRIVERLAB_RUN_DIR || 'reports'}/allure-results`;
    if (this.live) {
      this.timer = setInterval(() => this.drawLive(), 1000);
      this.timer.unref();
    }
    options.eventBroadcaster.on('envelope', (envelope) => this.onEnvelope(envelope));
  }

  onEnvelope(e) {
    if (e.gherkinDocument?.feature) this.features.set(e.gherkinDocument.uri, e.gherkinDocument.feature.name);
    else if (e.pickle) this.pickles.set(e.pickle.id, e.pickle);
    else if (e.testCase) {
      this.testCases.set(e.testCase.id, e.testCase.pickleId);
      this.total += 1;
    } else if (e.testCaseStarted) {
      const s = e.testCaseStarted;
      this.started.set(s.id, { testCaseId: s.testCaseId, timestamp: s.timestamp, steps: [], vm: null });
      this.drawLive();
    } else if (e.attachment?.testCaseStartedId && e.attachment.mediaType === ALLURE_MESSAGE) {
      this.readVm(e.attachment);
    } else if (e.testStepFinished) {
      this.started.get(e.testStepFinished.testCaseStartedId)?.steps.push(e.testStepFinished.testStepResult);
    } else if (e.testCaseFinished) {
      this.finish(e.testCaseFinished);
    } else if (e.testRunFinished) {
      if (this.timer) clearInterval(this.timer);
      this.clearLive();
    }
  }

  readVm(attachment) {
    try {
      const message = JSON.parse(attachment.body);
      const labels = message?.data?.labels ?? [];
      const vm = labels.find((l) => l.name === 'vm')?.value;
      const started = this.started.get(attachment.testCaseStartedId);
      if (!started) return;
      if (labels.some((l) => l.name === 'run' && l.value.startsWith('never ran'))) started.neverRan = true;
      if (vm) {
        started.vm = vm;
        this.drawLive();
      }
    } catch {
      // Not a label message: nothing to show.
    }
  }

  finish(finished) {
    const started = this.started.get(finished.testCaseStartedId);
    if (!started) return;
    this.started.delete(finished.testCaseStartedId);
    const pickle = this.pickles.get(this.testCases.get(started.testCaseId));
    const { status, message } = started.neverRan
      ? { status: 'never ran (the run was interrupted)', message: null }
      : statusOf(started.steps);
    const retried = finished.willBeRetried ? ' (will be retried)' : '';
    if (!finished.willBeRetried) this.done += 1;
    if (!finished.willBeRetried && (status === 'failed' || status === 'broken')) this.failures += 1;
    const feature = this.features.get(pickle?.uri) ?? pickle?.uri ?? '?';
    const width = String(this.total).length;
    const lines = [
      started.neverRan
        ? `${String(this.done).padStart(width)}/${this.total} ${feature} › ${pickle?.name ?? '?'} · ${status}`
        : `${String(this.done).padStart(width)}/${this.total} ${feature} › ${pickle?.name ?? '?'} · ${started.vm ?? 'no VM'} · ${status}${retried} · ${seconds(started.timestamp, finished.timestamp)}`,
    ];
    if ((status === 'failed' || status === 'broken') && message) {
      lines.push(`    ${firstSentence(message)}`);
      lines.push(
        `    evidence: ${pickle?.uri ?? '?'}, its attachments in ${this.evidence} and the HTML report`,
      );
    }
    this.clearLive();
    this.log(`${lines.join('\n')}\n`);
    this.drawLive();
  }

  clearLive() {
    if (this.live && this.drawn) {
      this.log('\r\u001b[K');
      this.drawn = false;
    }
  }

  drawLive() {
    if (!this.live) return;
    const running = [...this.started.values()].map((s) => {
      const name = this.pickles.get(this.testCases.get(s.testCaseId))?.name ?? '?';
      return `${s.vm ?? '…'}: ${name.length > 30 ? `${name.slice(0, 29)}…` : name}`;
    });
    const columns = process.stdout.columns || 120;
    let line = `[${this.done}/${this.total}] ${running.join(' | ') || 'starting'} · ${this.failures} failed or broken · ${clock(Date.now() - this.begin)}`;
    if (line.length > columns - 1) line = `${line.slice(0, columns - 2)}…`;
    this.log(`\r\u001b[K${line}`);
    this.drawn = true;
  }
}
