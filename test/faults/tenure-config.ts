import type { DomainController } from './domain-controller';

// How the fault suite's Tenure is set up, like a small real installation: an OpenLDAP target
// with a rule group, and for scenario 6 a SCIM application and an Active Directory domain.
// Secrets reach the file as ${NAME} references to the processes' environment.

export const suffix = 'dc=tenure,dc=test';
export const peopleDn = `ou=people,${suffix}`;
export const groupsDn = `ou=groups,${suffix}`;
/** The onboarding workflow adds everyone to this group on day one. */
export const allStaffDn = `cn=all-staff,${groupsDn}`;
/** The LDAP target's rule group: its members are the people in Engineering. */
export const ruleGroupDn = `cn=engineering,${groupsDn}`;
export const ruleGroupDepartment = 'Engineering';
export const emailDomain = 'tenure.test';
export const ldapPassword = 'faults-ldap-secret';
export const scimToken = 'faults-scim-token';

function ldapTarget(ldapUrl: string): string {
  return `
  - name: ldap
    type: ldap
    url: ${ldapUrl}
    bindDn: "cn=admin,${suffix}"
    bindPassword: "\${TENURE_LDAP_BIND_PASSWORD}"
    baseDn: "${suffix}"
    peopleDn: "${peopleDn}"
    groupsDn: "${groupsDn}"
    mappings:
      - { target: uid, source: username, apply: create }
      - { target: cn, source: displayName }
      - { target: sn, source: familyName }
      - { target: givenName, source: givenName }
      - { target: displayName, source: displayName }
      - { target: mail, source: workEmail }
      - { target: employeeType, source: employeeType }
      - { target: title, source: jobTitle }
      - { target: departmentNumber, source: department }
      - { target: manager, source: manager }
    groups:
      - { group: "${ruleGroupDn}", scope: "department eq '${ruleGroupDepartment}'" }`;
}

function scimTarget(baseUrl: string): string {
  return `
  - name: scim
    type: scim
    baseUrl: ${baseUrl}
    auth: { type: bearer, token: "\${FAULTS_SCIM_TOKEN}" }
    mappings:
      - { target: userName, source: username }
      - { target: name.givenName, source: givenName }
      - { target: name.familyName, source: familyName }
      - { target: displayName, source: displayName }
      - { target: title, source: jobTitle }
      - { target: 'emails[type eq "work"].value', source: workEmail }`;
}

function adTarget(dc: Pick<DomainController, 'url' | 'adminDn'>, ou: string): string {
  return `
  - name: ad
    type: active-directory
    url: ${dc.url}
    bindDn: "${dc.adminDn}"
    bindPassword: "\${FAULTS_AD_PASSWORD}"
    baseDn: "${ou}"
    tlsRejectUnauthorized: false
    container: '"${ou}"'
    mappings:
      - { target: cn, source: displayName }
      - { target: sAMAccountName, expression: 'Left([username], 20)', apply: create }
      - { target: userPrincipalName, expression: 'Join("@", [username], "${emailDomain}")', apply: create }
      - { target: givenName, source: givenName }
      - { target: sn, source: familyName }
      - { target: title, source: jobTitle }
      - { target: department, source: department }`;
}

/** The TENURE_CONFIG_FILE content: the targets, LDAP always, SCIM and AD when given. */
export function targetsYaml(targets: { ldapUrl: string; scimUrl?: string; ad?: { dc: Pick<DomainController, 'url' | 'adminDn'>; ou: string } }): string {
  return `targets:${ldapTarget(targets.ldapUrl)}${targets.scimUrl ? scimTarget(targets.scimUrl) : ''}${targets.ad ? adTarget(targets.ad.dc, targets.ad.ou) : ''}\n`;
}
