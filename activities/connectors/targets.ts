import type { CompiledTarget } from '../../domain/targets';
import { DirectoryTarget } from './directory-target';
import { ScimTarget } from './scim-target';
import { SqlTarget } from './sql-target';
import type { TargetConnector } from './target-connector';

/** One connector per configured target. */
export function connectTargets(targets: CompiledTarget[]): Map<string, TargetConnector> {
  return new Map(targets.map((target) => [target.config.name, connectTarget(target)]));
}

function connectTarget({ config, mappings }: CompiledTarget): TargetConnector {
  const managedAttributes = [...new Set(mappings.map((m) => m.target))];
  switch (config.type) {
    case 'ldap':
      return new DirectoryTarget({
        kind: 'openldap',
        url: config.url,
        bindDn: config.bindDn,
        bindPassword: config.bindPassword,
        tlsRejectUnauthorized: config.tlsRejectUnauthorized,
        baseDn: config.baseDn,
        defaultContainer: config.peopleDn,
        rdnAttribute: config.rdnAttribute,
        anchorAttribute: config.anchorAttribute,
        objectClasses: config.objectClasses,
        managedAttributes,
        groupsDn: config.groupsDn,
      });
    case 'active-directory':
      return new DirectoryTarget({
        kind: 'active-directory',
        url: config.url,
        bindDn: config.bindDn,
        bindPassword: config.bindPassword,
        tlsRejectUnauthorized: config.tlsRejectUnauthorized,
        baseDn: config.baseDn,
        defaultContainer: `CN=Users,${config.baseDn}`,
        rdnAttribute: 'cn',
        anchorAttribute: config.anchorAttribute,
        objectClasses: ['top', 'person', 'organizationalPerson', 'user'],
        managedAttributes,
      });
    case 'scim':
      return new ScimTarget({ baseUrl: config.baseUrl, auth: config.auth, managedAttributes });
    case 'sql':
      return new SqlTarget({
        dialect: config.dialect,
        url: config.url,
        table: config.table,
        keyColumn: config.keyColumn,
        enabledColumn: config.enabledColumn,
        deletedColumn: config.deletedColumn,
        managedAttributes,
      });
  }
}
