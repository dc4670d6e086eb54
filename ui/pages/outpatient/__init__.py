"""门诊收费: visit, prescription, settlement and receipt."""
