import SMFSecurity

/// SMFAudit will hold `smflow audit`, the executable production checklist.
/// It reuses the guardrail policies of SMFSecurity (`SecretKeyPolicy`,
/// `DatabaseURLPolicy`, `CORSOriginPolicy`) on env files.
public enum SMFAudit {}
