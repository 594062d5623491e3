"""Digital signatures on issued statements (PAdES, with pyHanko), and checking them.

- ``keys``: a branch's signing key (a PKCS#12 file named by the ``signing-key`` branch setting,
  its password from the environment, never stored), and the test CA for trying it out;
- ``sign``: signing a rendered statement, with a visible block naming the signer and role;
- ``check``: validating a signed file against the trust roots the deployment configures, each
  failure named (changed after signing, untrusted, expired, revoked, another branch's key).
"""
