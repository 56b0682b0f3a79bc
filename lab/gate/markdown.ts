/** reports/gate.md: the gate report for people, linking into the Allure report. */
import type { GateReport } from './verdict.js';

/** The gate report as Markdown; `reportHref` is the Allure report's index, relative to gate.md. */
export function gateMarkdown(report: GateReport, reportHref: string): string {
  const out: string[] = [];
  const icon = report.verdict === 'pass' ? 'PASS' : 'FAIL';
  out.push(`# Release gate: ${icon}`, '');
  out.push(
    `Run of profile \`${report.run.profile}\` on lab \`${report.run.lab}\`, finished ${report.run.finishedAt}: ${report.run.scenarios} scenarios. ` +
      (report.baseline
        ? `Compared with run ${report.baseline.id} (finished ${report.baseline.finishedAt}).`
        : 'No earlier run to compare with.'),
    '',
    `[Open the Allure report](${reportHref})`,
    '',
    '## Rules',
    '',
    '| rule | outcome | what the run showed |',
    '| --- | --- | --- |',
  );
  for (const r of report.rules) out.push(`| ${r.rule} | ${r.outcome} | ${cell(r.detail)} |`);
  out.push('', '## Crash buckets', '');
  if (report.buckets.length === 0) out.push('No failed scenario met a crash, and none was failing before.');
  else {
    out.push('| bucket | status | bug check | scenarios |', '| --- | --- | --- | --- |');
    for (const b of report.buckets) {
      const scenarios = b.scenarios
        .map((s) => `[${cell(s)}](${scenarioLink(reportHref, report, s)})`)
        .join('<br>');
      const waiver = b.waiver
        ? ` (waived until ${b.waiver.expires}, ${b.waiver.owner}: ${cell(b.waiver.justification)})`
        : '';
      out.push(`| \`${b.id}\` | ${b.status}${waiver} | ${b.bugcheck ?? ''} | ${scenarios} |`);
    }
  }
  const list = (title: string, items: string[], none: string) => {
    out.push('', `## ${title}`, '');
    out.push(...(items.length > 0 ? items.map((i) => `- ${i}`) : [none]));
  };
  list(
    'Known issues',
    report.knownIssues.map((k) => `${cell(k.scenario)}: ${k.waived}, owner ${k.owner}, until ${k.expires}`),
    'None.',
  );
  list(
    'Failed',
    report.failed.map((s) => `[${cell(s)}](${scenarioLink(reportHref, report, s)})`),
    'None.',
  );
  list(
    'Broken (the lab failed)',
    report.broken.map(
      (b) =>
        `[${cell(b.scenario)}](${scenarioLink(reportHref, report, b.scenario)}) after ${b.attempts} attempt(s): ${cell(b.message ?? '')}`,
    ),
    'None.',
  );
  list(
    'Flaky (broken, then passed on a retry)',
    report.flaky.map(
      (f) =>
        `${cell(f.scenario)}: ${f.attempts.map((a) => `${a.status} on ${a.vm ?? 'no VM'}`).join(', then ')}`,
    ),
    'None.',
  );
  out.push('', '## Pass rate', '', '| tag or driver | passed | of | rate |', '| --- | --- | --- | --- |');
  for (const [k, r] of [
    ...Object.entries(report.passRate.byTag),
    ...Object.entries(report.passRate.byDriver),
  ])
    out.push(`| ${k} | ${r.passed} | ${r.total} | ${r.rate} % |`);
  return `${out.join('\n')}\n`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A scenario's page in the report (the awesome report routes `#<test result id>`). */
function scenarioLink(reportHref: string, report: GateReport, scenario: string): string {
  const id = report.reportIds[scenario];
  return id ? `${reportHref}#${id}` : reportHref;
}
