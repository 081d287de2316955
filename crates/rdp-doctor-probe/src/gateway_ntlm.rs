//! The NTLM client of the gateway tunnel (MS-NLMP over HTTP, `Authorization: NTLM <base64>`, MS-TSGU
//! 3.3.5.1): sspi's NTLM, reached through IronRDP's re-export (`ironrdp_connector::sspi`), so the tunnel and
//! the credentialed RDP check use the same implementation. The password is copied once into sspi's
//! credentials handle (its `Secret`) and never anywhere else.

use ironrdp_connector::sspi::{self, Sspi as _, SspiImpl as _};

use crate::session::Credentials;

/// One NTLM client context: NEGOTIATE, then AUTHENTICATE from the gateway's CHALLENGE.
pub(crate) struct NtlmClient {
    ntlm: sspi::Ntlm,
    handle: Option<sspi::AuthIdentityBuffers>,
}

impl std::fmt::Debug for NtlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NtlmClient(<redacted>)")
    }
}

impl NtlmClient {
    /// A context for `creds` (`DOMAIN\\user`, `user@domain` or `user`).
    pub(crate) fn new(creds: &Credentials) -> Result<Self, String> {
        let username = sspi::Username::parse(&creds.user).map_err(|e| format!("the account name: {e}"))?;
        let identity = sspi::AuthIdentity { username, password: creds.password.expose().to_owned().into() };
        let mut ntlm = sspi::Ntlm::new();
        let acquired = ntlm
            .acquire_credentials_handle()
            .with_credential_use(sspi::CredentialUse::Outbound)
            .with_auth_data(&identity)
            .execute(&mut ntlm)
            .map_err(|e| format!("NTLM credentials: {e}"))?;
        Ok(Self { ntlm, handle: acquired.credentials_handle })
    }

    /// The next message: NEGOTIATE without input, AUTHENTICATE from the CHALLENGE.
    pub(crate) fn step(&mut self, challenge: Option<&[u8]>) -> Result<Vec<u8>, String> {
        let mut output = vec![sspi::SecurityBuffer::new(Vec::new(), sspi::BufferType::Token)];
        let mut input = challenge.map(|c| vec![sspi::SecurityBuffer::new(c.to_vec(), sspi::BufferType::Token)]);
        let mut builder = self
            .ntlm
            .initialize_security_context()
            .with_credentials_handle(&mut self.handle)
            .with_context_requirements(sspi::ClientRequestFlags::empty())
            .with_target_data_representation(sspi::DataRepresentation::Native)
            .with_output(&mut output);
        if let Some(i) = input.as_mut() {
            builder = builder.with_input(i);
        }
        self.ntlm
            .initialize_security_context_impl(&mut builder)
            .and_then(|mut g| g.resolve_to_result())
            .map_err(|e| format!("NTLM: {e}"))?;
        Ok(output.into_iter().next().map(|b| b.buffer).unwrap_or_default())
    }
}
