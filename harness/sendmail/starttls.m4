divert(-1)dnl
# badmx recipe: Debian's /etc/mail/tls/starttls.m4 as its update_tlsm4 writes it
# (sendmail-base 8.17.1.9), with the certificate, key and DH parameters its update_tls
# makes (a self-signed sendmail-server.crt and sendmail-client.crt sharing
# sendmail-common.key, 2048 bits; sendmail-common.prm from openssl dsaparam/dhparam).
# Paths point into the instance's own tls directory instead of /etc/mail/tls.
divert(0)dnl
VERSIONID(`$Id: starttls.m4,v 8.17.1.9-2+deb12u2 badmx recipe $')
dnl #
dnl # Check to see if inclusion is valid (version >= 8.11.0, tls enabled)
ifelse(eval(sm_version_math >= 527104), `1', `dnl
ifelse(sm_enable_tls, `yes', `dnl
dnl #
dnl # To support shared keyfiles, we need them to be group readable
dnl #
define(`confDONT_BLAME_SENDMAIL',dnl
	defn(`confDONT_BLAME_SENDMAIL')`,GroupReadableKeyFile')dnl
dnl #
dnl #             ...Do not touch anything above this line...
dnl #
dnl # Set a more reasonable timeout on negotiation
dnl #
define(`confTO_STARTTLS',     `2m')dnl   # <= EDIT
dnl #
dnl # CA directory - CA certs should be herein
define(`confCACERT_PATH',     `/etc/ssl/certs')dnl   # <= EDIT
dnl #
dnl # CA file (may be the same as client/server certificate)
dnl DEVIATION: Debian names its own sendmail-server.crt here; this file is that
dnl certificate followed by the harness's test root, so that the test root is trusted in
dnl addition to the system store (confCACERT_PATH, unchanged).
define(`confCACERT',           `{{dir}}/tls/cacert.pem')dnl   # <= EDIT
dnl #
dnl # Certificate Revocation List
define(`confCRL',              `')dnl   # <= EDIT
dnl # CRL not found...  do not issue warnings on it!
undefine(`confCRL')dnl
dnl #
dnl # Server certificate/key (can be in the same file, and shared w/client)
dnl # NOTE: The key must *NOT* be encrypted !!!
define(`confSERVER_CERT',     `{{dir}}/tls/sendmail-server.crt')dnl   # <= EDIT
define(`confSERVER_KEY',      `{{dir}}/tls/sendmail-common.key')dnl   # <= EDIT
dnl #
dnl # Client certificate/key (can be in the same file, and shared w/server)
dnl # NOTE: The key must *NOT* be encrypted !!!
define(`confCLIENT_CERT',     `{{dir}}/tls/sendmail-client.crt')dnl   # <= EDIT
define(`confCLIENT_KEY',      `{{dir}}/tls/sendmail-common.key')dnl   # <= EDIT
dnl #
dnl # DH parameters
define(`confDH_PARAMETERS',   `{{dir}}/tls/sendmail-common.prm')dnl # <= EDIT
dnl #
dnl # Optional settings
define(`confTLS_SRV_OPTIONS', `V')dnl   # <= EDIT
dnl #
')')dnl
