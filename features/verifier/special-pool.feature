@special-pool @gating @severity:critical
Feature: Special pool catches a buffer overrun in the act
  From "Understanding Pool Corruption Part 2 – Special Pool for Buffer Overruns" (Ntdebugging Blog,
  seed page 3).

  With special pool, each allocation of a verified driver sits at the end of its own page and the
  next page is a guard page that is not valid, so writing past the end of the allocation stops
  the system at once with 0xD6 in the driver that did it. The options can be named or given as
  the /flags value; they mean the same.

  Scenario Outline: An overrun under special pool stops at once and names the driver (options written as <options>)
    Given a test VM
    And Driver Verifier checks myfault.sys with <options>
    And myfault.sys is loaded
    When myfault.sys overruns its pool allocation
    Then the VM bugchecks with DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION
    And the memory the crash referenced is special pool
    And the page of the memory the crash referenced is not valid
    And the crash is blamed on myfault.sys

    Examples:
      | options      |
      | special pool |
      | 0x1          |
