@kdnet
Feature: A test VM is debugged over the network with the key it generates
  From "Remoting Your Debug Crash Cart With KDNET" (Ntdebugging Blog, seed page 3).

  KDNET carries the kernel debugger over the VM's network card: the boot settings name the
  debugger's address and port, and generate the key the debugger must use. The key is a secret: it
  is captured when the VM generates it and never shown in a report. With it the debugger connects
  when the VM boots, breaks in and lets it run again; with any other key it waits for ever.

  Scenario: The debugger connects with the key the VM generated, breaks in and lets it run
    Given a test VM
    When network debugging to the lab's debugger is turned on, on a free port
    And the debugger listens with the key the VM generated
    And the VM restarts
    Then the debugger connects to the VM within 2 min
    And the debugger breaks in and its prompt answers
    When the debugger lets the VM run
    Then the VM keeps running

  Scenario: A debugger with another key never connects
    Given a test VM
    When network debugging to the lab's debugger is turned on, on a free port
    And the debugger listens with a key the VM does not know
    And the VM restarts
    Then the debugger is still waiting for the VM after 1 min
