// OpenSSL's libcrypto (Debian libssl-dev): SHA-256 content hashes of image files.
#include <openssl/evp.h>
