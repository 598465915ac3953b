import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';
import { createCa } from '../src/pki/certificate-authority.js';

/**
 * A SAML 2.0 identity provider for tests, reduced to what a browser sign-in needs: it reads the gateway's
 * AuthnRequest (HTTP-Redirect binding) and answers with a Response whose assertion it signs with xml-crypto
 * (RSA-SHA256, exclusive C14N), as a real IdP would. No SAML IdP package runs offline here; this one is
 * written from the SAML 2.0 core spec (§2, §3.2.2) and the Web Browser SSO profile (profiles §4.1).
 */
export interface TestSamlIdp {
  entityId: string;
  certPem: string;
  /** The request inside the gateway's redirect URL. */
  readRequest(redirectUrl: string): { id: string; acsUrl: string; spEntityId: string; relayState: string };
  /** A base64 SAMLResponse for `person`; `tamper` makes the bad cases. */
  respond(
    request: { id: string; acsUrl: string; spEntityId: string },
    person: { nameId: string; displayName: string; groups: string[] },
    tamper?: { audience?: string; unsigned?: boolean; alterAfterSigning?: boolean; signWith?: { keyPem: string; certPem: string } },
  ): string;
}

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

export async function startSamlIdp(entityId = 'https://idp.example.org/saml'): Promise<TestSamlIdp & { otherKey: () => Promise<{ keyPem: string; certPem: string }> }> {
  const { certPem, keyPem } = await createCa('relaydesk test SAML IdP', 1, { keyType: 'rsa-2048' }); // SAML IdPs sign with RSA (rsa-sha256 below)
  return {
    entityId,
    certPem,
    otherKey: () => createCa('someone else', 1, { keyType: 'rsa-2048' }),
    readRequest(redirectUrl) {
      const url = new URL(redirectUrl);
      const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
      const id = /\sID="([^"]+)"/.exec(xml)?.[1];
      const acsUrl = /AssertionConsumerServiceURL="([^"]+)"/.exec(xml)?.[1];
      const spEntityId = /<(?:saml2?:)?Issuer[^>]*>([^<]+)</.exec(xml)?.[1];
      if (!id || !acsUrl || !spEntityId) throw new Error(`not an AuthnRequest: ${xml.slice(0, 300)}`);
      return { id, acsUrl, spEntityId, relayState: url.searchParams.get('RelayState') ?? '' };
    },
    respond(request, person, tamper = {}) {
      const now = new Date();
      const later = new Date(now.getTime() + 5 * 60_000).toISOString();
      const issued = now.toISOString();
      const assertionId = `_a${randomBytes(16).toString('hex')}`;
      const values = person.groups.map((g) => `<saml:AttributeValue>${attr(g)}</saml:AttributeValue>`).join('');
      const assertion =
        `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${assertionId}" Version="2.0" IssueInstant="${issued}">` +
        `<saml:Issuer>${attr(entityId)}</saml:Issuer>` +
        `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${attr(person.nameId)}</saml:NameID>` +
        `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${attr(request.id)}" NotOnOrAfter="${later}" Recipient="${attr(request.acsUrl)}"/></saml:SubjectConfirmation></saml:Subject>` +
        `<saml:Conditions NotBefore="${issued}" NotOnOrAfter="${later}"><saml:AudienceRestriction><saml:Audience>${attr(tamper.audience ?? request.spEntityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
        `<saml:AuthnStatement AuthnInstant="${issued}" SessionIndex="${assertionId}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
        `<saml:AttributeStatement><saml:Attribute Name="groups">${values}</saml:Attribute>` +
        `<saml:Attribute Name="displayName"><saml:AttributeValue>${attr(person.displayName)}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>` +
        `</saml:Assertion>`;
      const response =
        `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${randomBytes(16).toString('hex')}" Version="2.0" IssueInstant="${issued}" Destination="${attr(request.acsUrl)}" InResponseTo="${attr(request.id)}">` +
        `<saml:Issuer>${attr(entityId)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
        assertion +
        `</samlp:Response>`;
      let xml = response;
      if (!tamper.unsigned) {
        const signer = tamper.signWith ?? { keyPem, certPem };
        const sig = new SignedXml({
          privateKey: signer.keyPem,
          publicCert: signer.certPem,
          signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
          canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
        });
        sig.addReference({
          xpath: "//*[local-name(.)='Assertion']",
          transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
          digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
        });
        // The signature goes right after the assertion's Issuer (SAML core §5.4.1 / schema order).
        sig.computeSignature(response, { location: { reference: "//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' } });
        xml = sig.getSignedXml();
      }
      if (tamper.alterAfterSigning) xml = xml.replace(/<saml:AttributeValue>[^<]*<\/saml:AttributeValue>/, '<saml:AttributeValue>support-admins</saml:AttributeValue>');
      return Buffer.from(xml, 'utf8').toString('base64');
    },
  };
}
