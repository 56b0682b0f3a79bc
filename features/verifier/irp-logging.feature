@irp-logging @gating @severity:critical
Feature: IRP logging names the driver that issues I/O while APCs are disabled
  From "Another Who Done It" (Ntdebugging Blog, seed page 3).

  A driver whose image-load notify routine issues I/O while special kernel APCs are disabled
  leaves the I/O completion APC pending while its stack unwinds; when the APC is finally delivered
  it writes to a dead stack and the system stops with 0xA. Driver Verifier's IRP logging (with I/O
  verification) records every IRP with the APC-disable counts of the thread that issued it, so the
  next dump names the driver. The fixed build checks for disabled APCs and runs clean.

  Scenario: The IRP log shows the driver issuing I/O with special APCs disabled
    Given a test VM
    And Driver Verifier checks all drivers with I/O verification and IRP logging
    And baddriver.sys is loaded
    When a program starts
    Then the VM bugchecks with IRQL_NOT_LESS_OR_EQUAL
    And the crash happened while an APC was delivered
    And the IRP log has an entry with SpecialApcDisable -1 issued from baddriver.sys

  Scenario: The fixed build runs clean under the same Driver Verifier options
    Given a test VM
    And Driver Verifier checks all drivers with 0x410
    And the fixed build of baddriver.sys is loaded
    When a program starts
    Then the VM keeps running
