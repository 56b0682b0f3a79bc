@nbl-tracking
Feature: NBL owner tracking shows who holds the packets when an adapter removal hangs
  From "Debugging a Network Connectivity Issue - TrackNblOwner to the Rescue" (Ntdebugging Blog,
  seed page 3).

  A miniport that never returns its NBLs makes the removal of its adapter wait forever: the PnP
  worker holds the PnP engine lock while NDIS waits for the NBLs, and the network stops. With NBL
  owner tracking (TrackNblOwner = 1) a dump shows who holds the pending NBLs; without it the
  debugger can only ask for tracking to be turned on.

  Scenario Outline: A removal that never finishes, seen with NBL owner tracking <tracking>
    Given a test VM
    And NBL owner tracking is turned <tracking>
    And myminiport.sys drives the network adapter
    When the network adapter is removed
    Then the removal is still waiting after 1 min
    When a memory dump of the VM is taken
    Then the thread removing the adapter holds the PnP engine lock
    And the pending NBLs <are seen>

    Examples:
      | tracking | are seen                                                                                  |
      | on       | are held by the miniport "My Ethernet 1Gb 4-port Adapter", which is QUERY_REMOVED and DORMANT_PAUSED |
      | off      | cannot be listed until NBL tracking is turned on                                          |
