@system-writer @gating @severity:critical
Feature: The System Writer survives a bloated .NET folder
  From "Missing System Writer Case Explained" (Ntdebugging Blog, seed page 3).

  System state backups fail when the System Writer is missing from the VSS writers. The writer
  gives up while it collects its metadata (OnIdentify) when a folder under Microsoft.NET holds
  more than 10,000 files or more than 1,000 folders, and VSS logs error 8193 "XML document is too
  long". Only the Temporary ASP.NET Files are safe to delete; once they are gone the writer is back.

  Scenario Outline: Too many temporary ASP.NET <items> hide the System Writer until they are deleted
    Given a test VM
    When <count> <items> are created in the Temporary ASP.NET Files
    Then the backup writers do not include "System Writer"
    And the application log has a VSS error for "System Writer" saying "XML document is too long"
    When the Temporary ASP.NET Files are deleted
    Then the backup writers include "System Writer" in a stable state

    Examples:
      | count | items   |
      | 10001 | files   |
      | 1001  | folders |
