"""Operations: tenant backups and their signed archives."""
