"""Python Authlib as an OpenID Connect relying party of Latchkey (test/e2e/authlib-oidc.test.ts).

Run with Debian's python3 (python3-authlib, python3-requests):

    /usr/bin/python3 test/e2e/authlib_oidc.py ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI

Prints {"authorize": URL}, reads the redirect back (after sign-in and consent) as one line on standard
input, then exchanges the code, validates the ID token (signature from the JWKS, iss, aud, exp, nonce,
at_hash), calls userinfo and prints {"claims", "userinfo", "refused"}: what validation said of an
ID token checked against another nonce and another access token.
"""
import json
import sys

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.jose.errors import JoseError
from authlib.oidc.core import CodeIDToken

issuer, client_id, client_secret, redirect_uri = sys.argv[1:5]

metadata = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
assert metadata["issuer"] == issuer, metadata["issuer"]

session = OAuth2Session(
    client_id,
    client_secret,
    token_endpoint_auth_method="client_secret_basic",
    scope="openid profile email",
    redirect_uri=redirect_uri,
    code_challenge_method="S256",
)
verifier = generate_token(48)
nonce = generate_token(24)
url, state = session.create_authorization_url(
    metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
)
print(json.dumps({"authorize": url}), flush=True)

redirect = sys.stdin.readline().strip()
token = session.fetch_token(
    metadata["token_endpoint"], authorization_response=redirect, state=state, code_verifier=verifier
)
keys = JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())


def validate(expected_nonce, access_token):
    claims = jwt.decode(
        token["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": metadata["issuer"]}},
        claims_params={"nonce": expected_nonce, "client_id": client_id, "access_token": access_token},
    )
    claims.validate()
    return claims


claims = validate(nonce, token["access_token"])
refused = {}
for name, expected_nonce, access_token in [
    ("other_nonce", generate_token(24), token["access_token"]),
    ("other_access_token", nonce, token["access_token"] + "x"),
]:
    try:
        validate(expected_nonce, access_token)
        refused[name] = None
    except JoseError as error:
        refused[name] = error.error

userinfo = session.get(metadata["userinfo_endpoint"], timeout=10)
userinfo.raise_for_status()
print(
    json.dumps(
        {
            "claims": dict(claims),
            "header": dict(claims.header),
            "nonce": nonce,
            "userinfo": userinfo.json(),
            "refused": refused,
        }
    ),
    flush=True,
)
