// Installs the Allure runtime in every Cucumber process (coordinator and workers); without it the
// allure.step/attachment calls the narrator makes are dropped with "no test runtime is found".
import 'allure-cucumberjs';
