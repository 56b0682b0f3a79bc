// Allure 3 report configuration (used by `driverlab report` and `npm start`): a report shaped for
// driver teams. See docs/adr/0009-run-store-and-release-gate.md and lab/gate/README.md.

// Lab faults: the lab could not do its job (broken). Matched on the sentence of the
// LabCompromisedError each fault raises (lab/hyperv, lab/kd, support/domain).
const lab = (name, message) => ({
  name: `Lab: ${name}`,
  matchers: { statuses: ['broken'], message },
  groupByMessage: false,
});

export default {
  name: 'driverlab',
  output: 'reports/allure-report',
  historyPath: 'reports/history.jsonl',
  // History is appended only for complete runs of a profile meant for it (nightly, gating): the
  // run command sets DRIVERLAB_APPEND_HISTORY for those; a dry run, a tag subset or a second
  // `driverlab report` of the same results reads the history but never adds to it.
  appendHistory: process.env.DRIVERLAB_APPEND_HISTORY === '1',
  historyLimit: 30,
  categories: {
    rules: [
      lab(
        'VM not ready',
        /heartbeat|did not (?:boot|start)|never reported|not ready|boot(?:ed)? within|checkpoint '[^']*' (?:does not exist|is missing)/i,
      ),
      lab('debugger transport', /debugger|KDNET|kd\b|COM pipe|never connect/i),
      lab('PowerShell Direct', /PowerShell Direct|credential|guest session|PowerShell (?:session|host)/i),
      lab('dump not written', /wrote no dump|dump (?:was )?not written|no event 1001|logged no bug check/i),
      lab('timeout', /within \d|timed out|timeout/i),
      {
        name: 'Bad input (configuration)',
        matchers: {
          statuses: ['broken'],
          message: /^ConfigurationError|has no definition|is not a|has no driver/,
        },
      },
      {
        name: 'Product: known issue (waived)',
        matchers: [({ labels }) => labels.some((l) => l.name === 'known-issue')],
      },
      {
        name: 'Product: unexpected bug check',
        matchers: [
          ({ status, labels }) => status === 'failed' && labels.some((l) => l.name === 'crash-bucket'),
        ],
        groupBy: [{ label: 'bugcheck' }],
      },
      {
        name: 'Product: expectation not met',
        matchers: { statuses: ['failed'] },
      },
      { name: 'Lab: other', matchers: { statuses: ['broken'] } },
    ],
  },
  plugins: {
    awesome: {
      options: {
        reportName: 'driverlab',
        reportLanguage: 'en',
        // One self-contained index.html: a browser opens it from the disk (file://), where it
        // would refuse to fetch the report's data files.
        singleFile: true,
        // The README's tree: epic (the capability, a folder of features) › feature › story (scenario).
        groupBy: ['epic', 'feature', 'story'],
      },
    },
  },
};
