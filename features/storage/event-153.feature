@event-153 @gating @severity:critical
Feature: Storage timeouts are logged as events 153 and 129 and decoded
  From "Interpreting Event 153 Errors" (Ntdebugging Blog, seed page 3).

  When the storport miniport times a request out itself, the disk class driver retries it and
  logs event 153; when storport times it out, it resets the device and logs event 129. The data of
  event 153 carries the SCSI status (byte 29), the SRB status that caused the retry (byte 30) and
  the SCSI command retried (byte 31).

  Scenario Outline: A request that times out is logged as event <event>
    Given a test VM
    And mystor.sys drives the storage controller
    When the disk is put under load
    Then the system log records a storage timeout as event <event>

    Examples:
      | event |
      | 153   |
      | 129   |

  Scenario Outline: Event 153 says what was retried and why: the <field>
    Given a test VM
    And mystor.sys drives the storage controller
    When the disk is put under load
    Then event 153 reports the <field> as <code> (<name>)

    Examples:
      | field        | code | name               |
      | SCSI status  | 0x00 | SCSISTAT_GOOD      |
      | SRB status   | 0x09 | SRB_STATUS_TIMEOUT |
      | SCSI command | 0x28 | SCSIOP_READ        |
