@pool-corruption
Feature: Pool corruption is found in a later crash and points to special pool
  From "Understanding Pool Corruption Part 1 – Buffer Overflows" (Ntdebugging Blog, seed page 3).

  Without special pool, a driver that writes past its pool allocation overwrites the header of the
  next block and nothing happens yet; the system crashes later, when something uses that memory.
  The dump shows the corrupt pool page but not who corrupted it: the block before it carries no
  tag that names a driver. The next step is special pool on the suspected driver.

  Scenario: An overrun goes unnoticed until the corrupt pool is used
    Given a test VM
    And myfault.sys is loaded
    When myfault.sys overruns its pool allocation
    Then the VM keeps running
    When a program starts
    Then the VM bugchecks with one of SYSTEM_SERVICE_EXCEPTION, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, BAD_POOL_HEADER or BAD_POOL_CALLER
    And the crash met corrupt pool
    And the analysis recommends special pool for myfault.sys as the next step
