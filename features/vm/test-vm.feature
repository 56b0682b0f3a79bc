@smoke
Feature: The lab answers for its test VMs
  Every scenario runs on a test VM the lab can see and power. This is the first thing a new lab
  is asked to do, and the first thing to look at when nothing else works.

  Scenario: A test VM can be turned off and started again
    Given a test VM
    When the VM is turned off
    Then the VM is off
    When the VM is started
    Then the VM is running
