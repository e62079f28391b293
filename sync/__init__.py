"""The till's side of the central API: HTTP client, credentials, drafts, outbox, offline window.

No Qt here: the cashier's screen (`ui/`) builds a `sync.service.TillSync` and listens to its
events. Threading rules, for whoever writes that screen:

- Every call that may touch the network or the disk (`TillSync` methods, `Ticket.open`,
  `validate`, `refresh`, a re-sync) blocks: run it in a worker thread, never on the GUI thread.
- `Ticket.submit` does not block: a ticket sends its changes from a thread of its own.
- Events (`sync.events`) are delivered in the thread that caused them; the Qt adapter re-emits
  them as signals so that they land on the GUI thread.
"""
