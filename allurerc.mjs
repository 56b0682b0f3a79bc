// Allure 3 report configuration (used by `driverlab report` and `npm start`).
export default {
  name: 'driverlab',
  output: 'reports/allure-report',
  historyPath: 'reports/history.jsonl',
  plugins: {
    awesome: {
      options: {
        reportName: 'driverlab',
        reportLanguage: 'en',
        groupBy: ['parentSuite', 'suite', 'subSuite'],
      },
    },
  },
};
