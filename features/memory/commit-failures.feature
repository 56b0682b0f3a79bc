@commit-failures
Feature: The failed commit requests the debugger reports are the ones the memory manager counted
  From "Commitment Failures, Not Just a Failed Love Story" (Ntdebugging Blog, seed page 3).

  A commit request beyond the commit limit (RAM plus the page file at its maximum) fails. The
  debugger's memory report says how many have failed: the sum of the memory manager's four commit
  failure counters, members 0 and 1 always, member 3 on anything newer than Windows XP and Server
  2003 (member 2 on those).

  Scenario Outline: <times> refused commit requests are counted by the seed's rule
    Given a test VM
    When a program tries <times> times to commit 12000 MB
    And a memory dump of the VM is taken
    Then the memory report counts <times> failed commit requests
    And that count is the sum of the commit failure counters the OS version counts

    Examples:
      | times |
      | 1     |
      | 3     |
