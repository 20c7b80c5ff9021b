"""`make chaos`: the fault suite. Real processes and servers, a steady checkout load, one fault
at a time, and a reconciliation at the end that counts every order, payment, reservation,
claim and event."""
