@filter-load-order @gating @severity:critical
Feature: Minifilters keep their altitude order next to legacy filters
  From "Understanding File System Minifilter and Legacy Filter Load Order" (Ntdebugging Blog, seed
  page 3).

  A legacy filter can only attach on top of the file-system stack. When the encryption and
  antivirus legacy filters load, filter manager's frame 0 grows to cover every altitude below the
  highest of them, so the antivirus minifilter (328000) lands in frame 0, below the encryption
  filter (149998.99) although its altitude is higher. A minifilter that loads between the legacy
  filters (the NullFilter at 160030) makes filter manager create frame 1 above the encryption
  filter, and the antivirus minifilter joins it: the altitude order is restored.

  Scenario Outline: The antivirus minifilter lands in frame <frame> (<setup>)
    Given a test VM
    And the filter drivers <filters> are installed
    When the VM restarts
    Then the filter AVMiniFilter is at altitude 328000 in frame <frame>
    And <order>

    Examples:
      | setup                | filters                                                                 | frame | order                                                                |
      | the legacy filters   | encryptionlegacy.sys, avlegacy.sys and avminifilter.sys                 | 0     | AVMiniFilter is loaded below EncryptionLegacy although its altitude is higher |
      | with the NullFilter  | encryptionlegacy.sys, avlegacy.sys, avminifilter.sys and nullfilter.sys | 1     | every filter is loaded in altitude order                             |
