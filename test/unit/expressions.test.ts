import { describe, expect, it } from 'vitest';
import {
  evaluateExpression,
  ExpressionEvaluationError,
  ExpressionSyntaxError,
  functionNames,
  IGNORE_FLOW,
  isRedacted,
  maxExpressionDepth,
  maxExpressionLength,
  parseExpression,
  referencedAttributes,
  uniqueValueCandidates,
  usesFunction,
  type EvaluationErrorCode,
  type EvaluationResult,
  type ExpressionContext,
  type ExpressionValue,
  type ParseOptions,
} from '../../domain/expressions';

type Attributes = Record<string, ExpressionValue | undefined>;

/** The instant Now() returns in these tests: the "8/25/2021 5:41:18 PM" of the reference's DateDiff table. */
const now = new Date('2021-08-25T17:41:18Z');

/** A repeatable stand-in for Math.random (mulberry32). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const context = (attributes: Attributes = {}, overrides: Partial<ExpressionContext> = {}): ExpressionContext => ({
  attributes,
  now,
  random: seeded(42),
  ...overrides,
});

const evaluate = (text: string, attributes: Attributes = {}, overrides: Partial<ExpressionContext> = {}): EvaluationResult =>
  evaluateExpression(parseExpression(text), context(attributes, overrides));

/** The error parseExpression throws for `text`; fails the test when it parses or throws something else. */
function syntaxError(text: string, options?: ParseOptions): ExpressionSyntaxError {
  try {
    parseExpression(text, options);
  } catch (error) {
    if (error instanceof ExpressionSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

function evaluationError(text: string, attributes: Attributes = {}, overrides: Partial<ExpressionContext> = {}): ExpressionEvaluationError {
  const expr = parseExpression(text);
  try {
    evaluateExpression(expr, context(attributes, overrides));
  } catch (error) {
    if (error instanceof ExpressionEvaluationError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to fail`);
}

interface Example {
  fn: string;
  expression: string;
  attributes?: Attributes;
  expected: EvaluationResult;
}

const hire = { StatusHireDate: '2012-03-16-07:00' };
const proxyAddresses = ['SMTP:john.doe@contoso.com', 'smtp:jd@contoso.com', 'smtp:john@contoso.com'];
const telephone = String.raw`Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", , "${'${phoneNumber}'}", , )`;
const uniqueUpn = `SelectUniqueValue(
    Join("@", NormalizeDiacritics(StripSpaces(Join(".",  [PreferredFirstName], [PreferredLastName]))), "contoso.com"),
    Join("@", NormalizeDiacritics(StripSpaces(Join(".",  Mid([PreferredFirstName], 1, 1), [PreferredLastName]))), "contoso.com"),
    Join("@", NormalizeDiacritics(StripSpaces(Join(".",  Mid([PreferredFirstName], 1, 2), [PreferredLastName]))), "contoso.com")
)`;
const activeSwitch = `Switch([Active], ,
  "1", IIF(DateDiff("d", Now(), CDate([StatusHireDate])) > 5, "False", "True"),
  "0", "False")`;

// Every example in Microsoft's "Reference for writing expressions for attribute mappings in
// Microsoft Entra ID" (and its troubleshooting page for empty values) that has an input and output.
const documented: Example[] = [
  { fn: 'Append', expression: 'Append([userPrincipalName], ".test")', attributes: { userPrincipalName: 'John.Doe@contoso.com' }, expected: 'John.Doe@contoso.com.test' },
  { fn: 'BitAnd', expression: 'BitAnd(&HF, &HF7)', expected: 7 },
  { fn: 'CBool', expression: 'CBool([attribute1] = [attribute2])', attributes: { attribute1: 'Sales', attribute2: 'Sales' }, expected: true },
  { fn: 'CBool', expression: 'CBool([attribute1] = [attribute2])', attributes: { attribute1: 'Sales', attribute2: 'sales' }, expected: false },
  { fn: 'CDate', expression: 'CDate([StatusHireDate])', attributes: { StatusHireDate: '2020-03-16-07:00' }, expected: '3/16/2020 7:00:00 AM' },
  { fn: 'CDate', expression: 'CDate("2021-06-30+08:00")', expected: '6/29/2021 4:00:00 PM' },
  { fn: 'CDate', expression: 'CDate("2009-06-15T01:45:30-07:00")', expected: '6/15/2009 8:45:30 AM' },
  { fn: 'Coalesce', expression: 'Coalesce([mail],[userPrincipalName])', attributes: { mail: null, userPrincipalName: 'John.Doe@contoso.com' }, expected: 'John.Doe@contoso.com' },
  { fn: 'ConvertToBase64', expression: 'ConvertToBase64("Hello world!")', expected: 'SABlAGwAbABvACAAdwBvAHIAbABkACEA' },
  { fn: 'ConvertToUTF8Hex', expression: 'ConvertToUTF8Hex("Hello world!")', expected: '48656C6C6F20776F726C6421' },
  { fn: 'CStr', expression: 'CStr([dn])', attributes: { dn: 'cn=Joe,dc=contoso,dc=com' }, expected: 'cn=Joe,dc=contoso,dc=com' },
  { fn: 'DateAdd', expression: 'DateAdd("d", 7, CDate([StatusHireDate]))', attributes: hire, expected: '3/23/2012 7:00:00 AM' },
  { fn: 'DateAdd', expression: 'DateAdd("d", -10, CDate([StatusHireDate]))', attributes: hire, expected: '3/6/2012 7:00:00 AM' },
  { fn: 'DateAdd', expression: 'DateAdd("ww", 2, CDate([StatusHireDate]))', attributes: hire, expected: '3/30/2012 7:00:00 AM' },
  { fn: 'DateAdd', expression: 'DateAdd("m", 10, CDate([StatusHireDate]))', attributes: hire, expected: '1/16/2013 7:00:00 AM' },
  { fn: 'DateAdd', expression: 'DateAdd("yyyy", 2, CDate([StatusHireDate]))', attributes: hire, expected: '3/16/2014 7:00:00 AM' },
  { fn: 'DateDiff', expression: 'DateDiff("d", CDate("2021-08-18+08:00"), CDate("2021-08-31+08:00"))', expected: 13 },
  { fn: 'DateDiff', expression: 'DateDiff("d", Now(), CDate([StatusHireDate]))', attributes: hire, expected: -3449 },
  { fn: 'DateDiff', expression: 'DateDiff("ww", Now(), CDate([StatusHireDate]))', attributes: hire, expected: -493 },
  { fn: 'DateDiff', expression: 'DateDiff("m", Now(), CDate([StatusHireDate]))', attributes: hire, expected: -113 },
  { fn: 'DateDiff', expression: 'DateDiff("yyyy", Now(), CDate([StatusHireDate]))', attributes: hire, expected: -9 },
  { fn: 'DateDiff', expression: 'DateDiff("d", CDate("2021-08-31+08:00"), CDate("2021-08-31+08:00"))', expected: 0 },
  { fn: 'DateDiff', expression: 'DateDiff("h", CDate("2021-08-24"), CDate("2021-08-25"))', expected: 24 },
  { fn: 'DateDiff', expression: 'DateDiff("n", CDate("2021-08-24"), CDate("2021-08-25"))', expected: 1440 },
  { fn: 'DateDiff', expression: 'DateDiff("s", CDate("2021-08-24"), CDate("2021-08-25"))', expected: 86400 },
  { fn: 'DateDiff', expression: activeSwitch, attributes: { Active: '1', StatusHireDate: '2021-08-28-07:00' }, expected: 'True' },
  { fn: 'DateDiff', expression: activeSwitch, attributes: { Active: '1', StatusHireDate: '2021-09-10-07:00' }, expected: 'False' },
  { fn: 'DateDiff', expression: activeSwitch, attributes: { Active: '0', StatusHireDate: '2021-08-28-07:00' }, expected: 'False' },
  { fn: 'DateFromNum', expression: 'DateFromNum(129699324000000000)', expected: '1/1/2012 11:00:00 PM' },
  { fn: 'DateFromNum', expression: 'DateFromNum([lastLogonTimestamp])', attributes: { lastLogonTimestamp: '129699324000000000' }, expected: '1/1/2012 11:00:00 PM' },
  {
    fn: 'FormatDateTime',
    expression: 'FormatDateTime([extensionAttribute1], , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")',
    attributes: { extensionAttribute1: '20150123105347.1Z' },
    expected: '2015-01-23',
  },
  { fn: 'IgnoreFlowIfNullOrEmpty', expression: 'IgnoreFlowIfNullOrEmpty([department])', attributes: {}, expected: IGNORE_FLOW },
  { fn: 'IgnoreFlowIfNullOrEmpty', expression: 'IgnoreFlowIfNullOrEmpty([department])', attributes: { department: '' }, expected: IGNORE_FLOW },
  { fn: 'IgnoreFlowIfNullOrEmpty', expression: 'IgnoreFlowIfNullOrEmpty([department])', attributes: { department: 'Sales' }, expected: 'Sales' },
  {
    fn: 'IgnoreFlowIfNullOrEmpty',
    expression: 'IgnoreFlowIfNullOrEmpty(Switch([prefix], "", "3443", "Dr.", "3444", "Prof.", "3445", "Prof. Dr."))',
    attributes: { prefix: '3446' },
    expected: IGNORE_FLOW,
  },
  {
    fn: 'IgnoreFlowIfNullOrEmpty',
    expression: 'IgnoreFlowIfNullOrEmpty(Switch([prefix], "", "3443", "Dr.", "3444", "Prof.", "3445", "Prof. Dr."))',
    attributes: { prefix: '3445' },
    expected: 'Prof. Dr.',
  },
  { fn: 'IIF', expression: 'IIF([country]="USA",[country],[department])', attributes: { country: 'USA', department: 'Sales' }, expected: 'USA' },
  { fn: 'IIF', expression: 'IIF([country]="USA",[country],[department])', attributes: { country: 'Canada', department: 'Sales' }, expected: 'Sales' },
  { fn: 'IIF', expression: 'IIF([country]="USA",IIF([state]="CA","True","False"),"False")', attributes: { country: 'USA', state: 'CA' }, expected: 'True' },
  { fn: 'IIF', expression: 'IIF([country]="USA",IIF([state]="CA","True","False"),"False")', attributes: { country: 'USA', state: 'NY' }, expected: 'False' },
  { fn: 'IIF', expression: 'IIF([country]="USA","True",IIF([state]="CA","True","False"))', attributes: { country: 'Mexico', state: 'CA' }, expected: 'True' },
  { fn: 'IIF', expression: 'IIF([country]="USA","True",IIF([state]="CA","True","False"))', attributes: { country: 'Mexico', state: 'NL' }, expected: 'False' },
  {
    fn: 'IIF',
    expression: 'IIF([companyName] = "Company A", "A", IIF([companyName] = "Company B", "B", "External"))',
    attributes: { companyName: 'Company B' },
    expected: 'B',
  },
  { fn: 'InStr', expression: 'InStr("The quick brown fox","quick")', expected: 5 },
  { fn: 'InStr', expression: 'InStr("repEated","e",3,vbBinaryCompare)', expected: 7 },
  { fn: 'IsNull', expression: 'IsNull([displayName])', attributes: {}, expected: true },
  { fn: 'IsNull', expression: 'IsNull([displayName])', attributes: { displayName: '' }, expected: false },
  { fn: 'IsNullOrEmpty', expression: 'IsNullOrEmpty([displayName])', attributes: { displayName: '' }, expected: true },
  { fn: 'IsNullOrEmpty', expression: 'IsNullOrEmpty([displayName])', attributes: { displayName: 'Zoë' }, expected: false },
  // The reference's IsPresent example, read with Switch's documented argument order (source,
  // defaultValue, key1, value1, …): IsPresent([directManager]) is the source, so this does not pick
  // the first manager present, whatever the example's intent.
  {
    fn: 'IsPresent',
    expression: 'Switch(IsPresent([directManager]),[directManager], IsPresent([skiplevelManager]),[skiplevelManager], IsPresent([director]),[director])',
    attributes: { directManager: 'm1', skiplevelManager: 'm2', director: 'm3' },
    expected: 'm2',
  },
  { fn: 'Item', expression: 'Item([proxyAddresses], 1)', attributes: { proxyAddresses }, expected: 'SMTP:john.doe@contoso.com' },
  { fn: 'Left', expression: 'Left("John Doe", 3)', expected: 'Joh' },
  { fn: 'NormalizeDiacritics', expression: 'NormalizeDiacritics([givenName])', attributes: { givenName: 'Zoë' }, expected: 'Zoe' },
  { fn: 'Now', expression: 'Now()', expected: '8/25/2021 5:41:18 PM' },
  {
    fn: 'NumFromDate',
    expression: 'NumFromDate(Join("", FormatDateTime([ContractEndDate], ,"yyyy-MM-ddzzz", "yyyy-MM-dd"), " 23:59:59-08:00"))',
    attributes: { ContractEndDate: '2020-12-31-08:00' },
    expected: '132539615990000000',
  },
  {
    fn: 'NumFromDate',
    expression: 'NumFromDate(Join("",FormatDateTime([endDate], ,"M/d/yyyy hh:mm:ss tt","yyyy-MM-dd")," 23:59:59-08:00"))',
    attributes: { endDate: '12/31/2020 12:00:00 AM' },
    expected: '132539615990000000',
  },
  { fn: 'PCase', expression: 'PCase([firstName])', attributes: { firstName: 'PABLO GONSALVES (SECOND)' }, expected: 'Pablo Gonsalves (Second)' },
  { fn: 'PCase', expression: `PCase([lastName]," '-")`, attributes: { lastName: "PINTO-DE'SILVA" }, expected: "Pinto-De'Silva" },
  { fn: 'PCase', expression: 'PCase(Join(" ",[firstName],[lastName]))', attributes: { firstName: 'GREGORY', lastName: 'JAMES' }, expected: 'Gregory James' },
  { fn: 'Redact', expression: 'Redact([userPrincipalName])', attributes: { userPrincipalName: 'jsmith@contoso.com' }, expected: 'jsmith@contoso.com' },
  { fn: 'Redact', expression: 'Redact("StringToBeRedacted")', expected: 'StringToBeRedacted' },
  {
    fn: 'RemoveDuplicates',
    expression: 'RemoveDuplicates([proxyAddresses])',
    attributes: { proxyAddresses: ['smtp:a@contoso.com', 'smtp:b@contoso.com', 'smtp:a@contoso.com'] },
    expected: ['smtp:a@contoso.com', 'smtp:b@contoso.com'],
  },
  {
    fn: 'Replace',
    expression: 'Replace([BusinessTitle],"Product Developer", , , "Software Engineer", , )',
    attributes: { BusinessTitle: 'Product Developer' },
    expected: 'Software Engineer',
  },
  { fn: 'Replace', expression: 'Replace([UserID],"<username>", , , , , "<username>@contoso.com")', attributes: { UserID: 'jsmith' }, expected: 'jsmith@contoso.com' },
  { fn: 'Replace', expression: telephone, attributes: { telephoneNumber: '+91 9998887777' }, expected: '9998887777' },
  // The reference prints 19998887777, but its pattern [()\s-]+ does not remove the "+".
  { fn: 'Replace', expression: String.raw`Replace([mobile], , "[()\\s-]+", , "", , )`, attributes: { mobile: '+1 (999) 888-7777' }, expected: '+19998887777' },
  {
    fn: 'Replace',
    expression: String.raw`Replace([AddressLineData], ,"(?<streetNumber>^\\d*)","streetNumber", "888", , )`,
    attributes: { AddressLineData: '545 Tremont Street' },
    expected: '888 Tremont Street',
  },
  {
    fn: 'Replace',
    expression: 'Replace([userPrincipalName], , "(?<Suffix>@(.)*)", "Suffix", "", , )',
    attributes: { userPrincipalName: 'jsmith@contoso.com' },
    expected: 'jsmith',
  },
  {
    fn: 'Replace',
    expression: String.raw`Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", "phoneNumber" , , [mobile], )`,
    attributes: { telephoneNumber: '', mobile: '+91 8887779999' },
    expected: '8887779999',
  },
  { fn: 'Replace', expression: 'Replace([mailNickname], , "[a-zA-Z_]*", , "", , )', attributes: { mailNickname: 'john_doe72' }, expected: '72' },
  { fn: 'Replace', expression: 'Replace([mail], "@contoso.com", , ,"", ,)', attributes: { mail: 'john.doe@contoso.com' }, expected: 'john.doe' },
  // The reference's output for this example comes from another object id than the placeholder it shows.
  {
    fn: 'Join',
    expression: 'Join("", 1000, Replace(ConvertToUTF8Hex([objectId]), , "[a-zA-Z_]*", , "", , ))',
    attributes: { objectId: '00aa00aa-bb11-cc22-dd33-44ee44ee44ee' },
    expected: '100030306161303061612626231312636332322646433332343465653434656534346565',
  },
  { fn: 'Join', expression: 'Join(", ", "", [surname], [givenName])', attributes: { givenName: 'John', surname: 'Doe' }, expected: 'Doe, John' },
  { fn: 'Mid', expression: 'Append(Mid([givenName], 1, 3), Mid([surname], 1, 5))', attributes: { givenName: 'John', surname: 'Doe' }, expected: 'JohDoe' },
  { fn: 'SelectUniqueValue', expression: uniqueUpn, attributes: { PreferredFirstName: 'John', PreferredLastName: 'Smith' }, expected: 'John.Smith@contoso.com' },
  {
    fn: 'Split',
    expression: 'Split([extensionAttribute5], ",")',
    attributes: { extensionAttribute5: 'PermissionSetOne, PermissionSetTwo' },
    expected: ['PermissionSetOne', 'PermissionSetTwo'],
  },
  {
    fn: 'Switch',
    expression: 'Switch([state], "Australia/Sydney", "NSW", "Australia/Sydney","QLD", "Australia/Brisbane", "SA", "Australia/Adelaide")',
    attributes: { state: 'QLD' },
    expected: 'Australia/Brisbane',
  },
  { fn: 'Switch', expression: 'Switch(ToLower([statusFlag]), "0", "true", "1", "false", "0")', attributes: { statusFlag: 'TRUE' }, expected: '1' },
  { fn: 'Switch', expression: 'Switch([statusFlag], "Default Value", "true", "1", "", "0")', attributes: { statusFlag: '' }, expected: '0' },
  { fn: 'Switch', expression: 'Switch([country],[country],"","Other")', attributes: {}, expected: 'Other' },
  { fn: 'Switch', expression: 'Switch([BusinessTitle],[BusinessTitle],"","N/A")', attributes: { BusinessTitle: 'Engineer' }, expected: 'Engineer' },
  {
    fn: 'ToLower',
    expression: 'ToLower(Join("@", NormalizeDiacritics(StripSpaces(Join(".",  [PreferredFirstName], [PreferredLastName]))), "contoso.com"))',
    attributes: { PreferredFirstName: 'John', PreferredLastName: 'Smith' },
    expected: 'john.smith@contoso.com',
  },
  { fn: 'Word', expression: 'Word("The quick brown fox",3," ")', expected: 'brown' },
  { fn: 'Word', expression: 'Word("This,string!has&many separators",3,",!&#")', expected: 'has' },
];

// At least one case per function beyond the reference's own examples, and the edges it describes.
const behaviours: Example[] = [
  { fn: 'Append', expression: 'Append([missing], ".test")', expected: null },
  { fn: 'Append', expression: 'Append("a", [missing])', expected: 'a' },
  { fn: 'BitAnd', expression: 'BitAnd([userAccountControl], 2)', attributes: { userAccountControl: '514' }, expected: 2 },
  { fn: 'BitAnd', expression: 'BitAnd(1099511627777, 1099511627776)', expected: 1099511627776 },
  { fn: 'CBool', expression: 'CBool("0")', expected: false },
  { fn: 'CBool', expression: 'CBool("TRUE")', expected: true },
  { fn: 'CBool', expression: 'CBool(InStr("abc", "c"))', expected: true },
  { fn: 'CBool', expression: 'CBool([missing])', expected: false },
  { fn: 'CDate', expression: 'CDate("8/25/2021 5:41:18 PM")', expected: '8/25/2021 5:41:18 PM' },
  { fn: 'CDate', expression: 'CDate("2021-08-25 00:30:00+02:00")', expected: '8/24/2021 10:30:00 PM' },
  { fn: 'CDate', expression: 'CDate([missing])', expected: null },
  { fn: 'Coalesce', expression: 'Coalesce([a], [b], "default")', expected: 'default' },
  { fn: 'Coalesce', expression: 'Coalesce([a], [b])', expected: null },
  { fn: 'Coalesce', expression: 'Coalesce([a], "x")', attributes: { a: '' }, expected: '' },
  { fn: 'Coalesce', expression: 'Coalesce([a], [b], )', attributes: { b: 'B' }, expected: 'B' },
  { fn: 'ConvertToBase64', expression: 'ConvertToBase64("Zoë")', expected: 'WgBvAOsA' },
  { fn: 'ConvertToUTF8Hex', expression: 'ConvertToUTF8Hex("Zoë")', expected: '5A6FC3AB' },
  { fn: 'Count', expression: 'Count([proxyAddresses])', attributes: { proxyAddresses }, expected: 3 },
  { fn: 'Count', expression: 'Count([missing])', expected: 0 },
  { fn: 'Count', expression: 'Count([mail])', attributes: { mail: 'a@contoso.com' }, expected: 1 },
  { fn: 'CStr', expression: 'CStr(IsPresent([mail]))', expected: 'False' },
  { fn: 'CStr', expression: 'CStr(42)', expected: '42' },
  { fn: 'CStr', expression: 'CStr([missing])', expected: '' },
  { fn: 'DateAdd', expression: 'DateAdd("m", 1, CDate("2021-01-31"))', expected: '2/28/2021 12:00:00 AM' },
  { fn: 'DateAdd', expression: 'DateAdd("h", 5, Now())', expected: '8/25/2021 10:41:18 PM' },
  { fn: 'DateAdd', expression: 'DateAdd("n", -41, Now())', expected: '8/25/2021 5:00:18 PM' },
  { fn: 'DateAdd', expression: 'DateAdd("s", 42, Now())', expected: '8/25/2021 5:42:00 PM' },
  { fn: 'DateAdd', expression: 'DateAdd("D", 1.9, Now())', expected: '8/26/2021 5:41:18 PM' },
  { fn: 'DateAdd', expression: 'DateAdd("d", 1, [missing])', expected: null },
  { fn: 'DateDiff', expression: 'DateDiff("d", "2021-08-24T00:00:00Z", "2021-08-25T23:00:00Z")', expected: 1 },
  { fn: 'DateDiff', expression: 'DateDiff("ww", "2021-08-21", "2021-08-22")', expected: 1 },
  { fn: 'DateDiff', expression: 'DateDiff("d", Now(), [missing])', expected: null },
  { fn: 'DateFromNum', expression: 'DateFromNum(0)', expected: '1/1/1601 12:00:00 AM' },
  { fn: 'DateFromNum', expression: 'DateFromNum(NumFromDate("2021-06-30T12:34:56Z"))', expected: '6/30/2021 12:34:56 PM' },
  { fn: 'FormatDateTime', expression: 'FormatDateTime([d], "yyyy-MM-dd", "M/d/yyyy")', attributes: { d: '2021-06-30' }, expected: '6/30/2021' },
  { fn: 'FormatDateTime', expression: 'FormatDateTime([d], , "yyyy-MM-dd", "yyyyMMddHHmmss")', attributes: { d: ' 2021-06-30 ' }, expected: '20210630000000' },
  { fn: 'FormatDateTime', expression: 'FormatDateTime([d], , "yyyyMMddHHmmss", "M/d/yyyy h:mm tt")', attributes: { d: '20210630134500' }, expected: '6/30/2021 1:45 PM' },
  { fn: 'FormatDateTime', expression: 'FormatDateTime([d], , "yyyy-MM-ddzzz", "yyyy-MM-dd")', attributes: { d: '2021-06-30+08:00' }, expected: '2021-06-29' },
  { fn: 'FormatDateTime', expression: 'FormatDateTime([d], , "dd MMM yyyy", "dddd, MMMM d, yyyy")', attributes: { d: '01 Mar 2024' }, expected: 'Friday, March 1, 2024' },
  { fn: 'FormatDateTime', expression: 'FormatDateTime([d], , "o", "yyyy-MM-ddTHH:mm:ss.FFFK")', attributes: { d: '2021-06-30T10:05:09.0000000Z' }, expected: '2021-06-30T10:05:09Z' },
  { fn: 'FormatDateTime', expression: 'FormatDateTime([d], , "HH:mm", "s")', attributes: { d: '09:30' }, expected: '2021-08-25T09:30:00' },
  { fn: 'FormatDateTime', expression: 'FormatDateTime([d], "NoCurrentDateDefault", "HH:mm", "s")', attributes: { d: '09:30' }, expected: '0001-01-01T09:30:00' },
  { fn: 'FormatDateTime', expression: 'FormatDateTime([d], "AllowWhiteSpaces", "d/M/yyyy", "yyyy-MM-dd")', attributes: { d: '  5/7/2021' }, expected: '2021-07-05' },
  { fn: 'FormatDateTime', expression: 'FormatDateTime([missing], , "yyyy", "yyyy")', expected: null },
  { fn: 'IgnoreFlowIfNullOrEmpty', expression: 'Append(IgnoreFlowIfNullOrEmpty([a]), "x")', expected: IGNORE_FLOW },
  { fn: 'IgnoreFlowIfNullOrEmpty', expression: 'IgnoreFlowIfNullOrEmpty([groups])', attributes: { groups: [] }, expected: IGNORE_FLOW },
  // Only the branch IIF returns decides whether the flow is ignored.
  { fn: 'IIF', expression: 'IIF(IsPresent([a]), [a], IgnoreFlowIfNullOrEmpty([b]))', attributes: { a: 'A' }, expected: 'A' },
  { fn: 'IIF', expression: 'IIF(IsPresent([a]), [a], IgnoreFlowIfNullOrEmpty([b]))', attributes: {}, expected: IGNORE_FLOW },
  { fn: 'IIF', expression: 'IIF([country]="","Other",[country])', attributes: {}, expected: 'Other' },
  { fn: 'IIF', expression: 'IIF(DateDiff("d", Now(), CDate([StatusHireDate])) > 5, "later", "soon")', attributes: { StatusHireDate: '2021-09-10' }, expected: 'later' },
  { fn: 'IIF', expression: 'IIF(InStr([d], "/") < "1", "no slash", "slash")', attributes: { d: '2021-06-30' }, expected: 'no slash' },
  { fn: 'IIF', expression: 'IIF("10" > "9", "text order", "number order")', expected: 'number order' },
  { fn: 'IIF', expression: 'IIF(10 > "9", "text order", "number order")', expected: 'text order' },
  { fn: 'IIF', expression: 'IIF([a] <> "x", "differs", "same")', attributes: { a: 'X' }, expected: 'differs' },
  { fn: 'IIF', expression: 'IIF([n] >= 3, IIF([n] <= 3, "three", "more"), "less")', attributes: { n: '3' }, expected: 'three' },
  { fn: 'IIF', expression: 'IIF("False", "yes", "no")', expected: 'no' },
  { fn: 'InStr', expression: 'InStr("repEated","e",3,vbTextCompare)', expected: 4 },
  { fn: 'InStr', expression: 'InStr("repEated","E")', expected: 4 },
  { fn: 'InStr', expression: 'InStr("abc","z")', expected: 0 },
  { fn: 'InStr', expression: 'InStr("abc","", 2)', expected: 2 },
  { fn: 'InStr', expression: 'InStr([missing],"a", , )', expected: 0 },
  { fn: 'IsNull', expression: 'IsNull([groups])', attributes: { groups: [] }, expected: true },
  { fn: 'IsPresent', expression: 'IsPresent([mail])', attributes: { mail: 'a@contoso.com' }, expected: true },
  { fn: 'IsPresent', expression: 'IsPresent([mail])', attributes: { mail: '' }, expected: false },
  { fn: 'IsString', expression: 'IsString([mail])', attributes: { mail: 'a@contoso.com' }, expected: true },
  { fn: 'IsString', expression: 'IsString([employeeNumber])', attributes: { employeeNumber: 42 }, expected: false },
  { fn: 'IsString', expression: 'IsString([missing])', expected: false },
  { fn: 'Item', expression: 'Item([proxyAddresses], 3)', attributes: { proxyAddresses }, expected: 'smtp:john@contoso.com' },
  { fn: 'Item', expression: 'Item([proxyAddresses], 4)', attributes: { proxyAddresses }, expected: null },
  { fn: 'Item', expression: 'Item([proxyAddresses], 0)', attributes: { proxyAddresses }, expected: null },
  { fn: 'Join', expression: 'Join(";", [proxyAddresses], [missing], "x")', attributes: { proxyAddresses: ['a', 'b'] }, expected: 'a;b;x' },
  { fn: 'Join', expression: 'Join("", [missing])', expected: '' },
  { fn: 'Left', expression: 'Left("John Doe", 0)', expected: '' },
  { fn: 'Len', expression: 'Len(42568.75)', expected: 8 },
  { fn: 'Len', expression: 'Len("John Doe")', expected: 8 },
  { fn: 'Len', expression: 'Len([missing])', expected: 0 },
  { fn: 'Len', expression: 'Len("")', expected: 0 },
  { fn: 'Len', expression: 'Len([givenName])', attributes: { givenName: 'Zoë' }, expected: 3 },
  { fn: 'Len', expression: 'Len(CBool("1"))', expected: 4 },
  { fn: 'Len', expression: 'Len([proxyAddresses])', attributes: { proxyAddresses: [] }, expected: 0 },
  { fn: 'Len', expression: 'Len([proxyAddresses])', attributes: { proxyAddresses: ['smtp:a@b.c'] }, expected: 10 },
  { fn: 'Left', expression: 'Left("John Doe", -1)', expected: 'John Doe' },
  { fn: 'Left', expression: 'Left("John", 10)', expected: 'John' },
  { fn: 'Left', expression: 'Left([missing], 3)', expected: '' },
  { fn: 'Mid', expression: 'Mid("Jonathan", 4, 100)', expected: 'athan' },
  { fn: 'Mid', expression: 'Mid("Jo", 5, 1)', expected: '' },
  { fn: 'Mid', expression: 'Mid([missing], 1, 1)', expected: null },
  { fn: 'NormalizeDiacritics', expression: 'NormalizeDiacritics("äàâãåáąăā ÄÀÂÃÅÁĄĂĀ")', expected: 'aaaaaaaaa AAAAAAAAA' },
  { fn: 'NormalizeDiacritics', expression: 'NormalizeDiacritics("æǣ ÆǢ çčć ďḏ ëèéêęěėē ğ ïîìíıī İ ľł Ł ñńň öòőõôóō")', expected: 'aeae AEAE ccc dd eeeeeeee g iiiiii I ll L nnn ooooooo' },
  { fn: 'NormalizeDiacritics', expression: 'NormalizeDiacritics("ø Ø œ̄ ß řṟ šśșş ťț üùûúůűū ÿýȳ źžż")', expected: 'oe OE oe ss rr ssss tt uuuuuuu yyy zzz' },
  { fn: 'NormalizeDiacritics', expression: 'NormalizeDiacritics([missing])', expected: null },
  { fn: 'Not', expression: 'Not("True")', expected: false },
  { fn: 'Not', expression: 'Not("false")', expected: true },
  { fn: 'Not', expression: 'Not(IsNull([mail]))', attributes: {}, expected: false },
  { fn: 'Not', expression: 'Not([missing])', expected: true },
  { fn: 'NumFromDate', expression: 'NumFromDate("1601-01-01T00:00:00Z")', expected: '0' },
  { fn: 'NumFromDate', expression: 'NumFromDate(CDate("2012-01-01T23:00:00Z"))', expected: '129699324000000000' },
  { fn: 'NumFromDate', expression: 'NumFromDate([missing])', expected: null },
  // .NET's ToTitleCase keeps an apostrophe inside a word and starts words at letters only.
  { fn: 'PCase', expression: `PCase("o'NEIL-smith_jones 1st")`, expected: "O'neil-Smith_Jones 1St" },
  { fn: 'PCase', expression: 'PCase("mary ann", "")', expected: 'Mary ann' },
  { fn: 'PCase', expression: 'PCase([missing])', expected: null },
  { fn: 'Redact', expression: 'Redact([missing])', expected: null },
  { fn: 'RemoveDuplicates', expression: 'RemoveDuplicates([mail])', attributes: { mail: 'a@contoso.com' }, expected: ['a@contoso.com'] },
  { fn: 'RemoveDuplicates', expression: 'RemoveDuplicates([missing])', expected: null },
  { fn: 'Replace', expression: 'Replace([s], "a", , , "", , )', attributes: { s: 'banana' }, expected: 'bnn' },
  { fn: 'Replace', expression: String.raw`Replace([s], , "(\\w+)@(\\w+)", , "${'${2}'}\\$1 costs $$5", , )`, attributes: { s: 'jo@contoso' }, expected: 'contoso\\jo costs $5' },
  { fn: 'Replace', expression: 'Replace([telephoneNumber], , "(?<d>\\\\d+)", "d", , [mobile], )', attributes: { telephoneNumber: '555', mobile: '777' }, expected: '555' },
  { fn: 'Replace', expression: 'Replace([missing], "a", , , "b", , )', expected: null },
  { fn: 'SelectUniqueValue', expression: 'SelectUniqueValue([a], [b], "fallback")', attributes: { a: '', b: null }, expected: 'fallback' },
  { fn: 'Split', expression: 'Split([s], ";")', attributes: { s: 'a;;b' }, expected: ['a', '', 'b'] },
  { fn: 'Split', expression: 'Split([s], "")', attributes: { s: 'a,b' }, expected: ['a,b'] },
  { fn: 'Split', expression: 'Split([missing], ",")', expected: null },
  { fn: 'StripSpaces', expression: 'StripSpaces("Mary Ann  van der Berg")', expected: 'MaryAnnvanderBerg' },
  { fn: 'StripSpaces', expression: 'StripSpaces([missing])', expected: null },
  { fn: 'Switch', expression: 'Switch([state], "default", "qld", "lower")', attributes: { state: 'QLD' }, expected: 'default' },
  { fn: 'Switch', expression: 'Switch([state], , "NSW", "Sydney")', attributes: { state: 'VIC' }, expected: null },
  // Only the value Switch returns decides whether the flow is ignored.
  { fn: 'Switch', expression: 'Switch([state], IgnoreFlowIfNullOrEmpty([x]), "NSW", "Sydney")', attributes: { state: 'NSW' }, expected: 'Sydney' },
  { fn: 'Switch', expression: 'Switch([state], IgnoreFlowIfNullOrEmpty([x]), "NSW", "Sydney")', attributes: { state: 'VIC' }, expected: IGNORE_FLOW },
  { fn: 'ToLower', expression: 'ToLower("TITLE", "tr-TR")', expected: 'tıtle' },
  { fn: 'ToLower', expression: 'TOLOWER("ABC", "en-US")', expected: 'abc' },
  { fn: 'ToLower', expression: 'ToLower([missing])', expected: null },
  { fn: 'ToUpper', expression: 'ToUpper("john")', expected: 'JOHN' },
  { fn: 'ToUpper', expression: 'ToUpper("istanbul", "tr-TR")', expected: 'İSTANBUL' },
  { fn: 'ToUpper', expression: 'ToUpper("istanbul", "")', expected: 'ISTANBUL' },
  { fn: 'Word', expression: 'Word("a,,b", 2, ",")', expected: 'b' },
  { fn: 'Word', expression: 'Word("a b", 3, " ")', expected: '' },
  { fn: 'Word', expression: 'Word("a b", 0, " ")', expected: '' },
  { fn: 'Word', expression: 'Word("single", 1, " ")', expected: 'single' },
  { fn: 'Word', expression: 'Word([missing], 1, " ")', expected: '' },
];

describe('the reference examples', () => {
  it.each(documented)('$fn: $expression', ({ expression, attributes, expected }) => {
    expect(evaluate(expression, attributes)).toEqual(expected);
  });
});

describe('function behaviour', () => {
  it.each(behaviours)('$fn: $expression', ({ expression, attributes, expected }) => {
    expect(evaluate(expression, attributes)).toEqual(expected);
  });

  it('has examples for every supported function', () => {
    // Guid and RandomString are random, so 'random values' below checks their shape instead; DefaultDomain needs configuration (below).
    const covered = new Set([...documented, ...behaviours].map((example) => example.fn).concat('Guid', 'RandomString', 'DefaultDomain'));
    expect(functionNames.filter((name) => !covered.has(name))).toEqual([]);
  });
});

describe('parseExpression', () => {
  it('builds calls, attributes, literals and omitted arguments with their positions', () => {
    expect(parseExpression('Replace([mail], "@x", , , "", , )')).toEqual({
      kind: 'call',
      name: 'Replace',
      position: 0,
      args: [
        { kind: 'attribute', name: 'mail', position: 8 },
        { kind: 'string', value: '@x', position: 16 },
        { kind: 'omitted', position: 22 },
        { kind: 'omitted', position: 24 },
        { kind: 'string', value: '', position: 26 },
        { kind: 'omitted', position: 30 },
        { kind: 'omitted', position: 32 },
      ],
    });
  });

  it('builds a comparison', () => {
    expect(parseExpression('[country]<>"USA"')).toEqual({
      kind: 'compare',
      op: '<>',
      position: 0,
      left: { kind: 'attribute', name: 'country', position: 0 },
      right: { kind: 'string', value: 'USA', position: 11 },
    });
  });

  it.each([
    ['[department]', { kind: 'attribute', name: 'department', position: 0 }],
    ['"United States"', { kind: 'string', value: 'United States', position: 0 }],
    ['  42 ', { kind: 'number', value: 42, position: 2 }],
    ['-10', { kind: 'number', value: -10, position: 0 }],
    ['1.5', { kind: 'number', value: 1.5, position: 0 }],
    ['&HF7', { kind: 'number', value: 247, position: 0 }],
    ['&hff', { kind: 'number', value: 255, position: 0 }],
    ['vbTextCompare', { kind: 'constant', name: 'vbTextCompare', value: 1, position: 0 }],
    ['[Preferred First Name]', { kind: 'attribute', name: 'Preferred First Name', position: 0 }],
  ])('reads the whole expression %s', (text, expected) => {
    expect(parseExpression(text)).toEqual(expected);
  });

  it.each([
    [String.raw`"Company name: \"Contoso\""`, 'Company name: "Contoso"'],
    [String.raw`"C:\\temp\\"`, 'C:\\temp\\'],
    ['"[not an attribute]"', '[not an attribute]'],
  ])('unescapes the string %s', (text, value) => {
    expect(parseExpression(text)).toEqual({ kind: 'string', value, position: 0 });
  });

  it('reads function names in any case and keeps the canonical name', () => {
    expect(parseExpression('iif(isPRESENT([a]), toupper([a]), "")')).toMatchObject({
      name: 'IIF',
      args: [{ name: 'IsPresent' }, { name: 'ToUpper' }, { kind: 'string' }],
    });
  });

  it('reads an empty argument list and whitespace across lines', () => {
    expect(parseExpression('Guid( )')).toEqual({ kind: 'call', name: 'Guid', args: [], position: 0 });
    expect(referencedAttributes(parseExpression(uniqueUpn))).toEqual(['PreferredFirstName', 'PreferredLastName']);
  });

  it('checks and canonicalises attribute names when it is given them', () => {
    const expr = parseExpression('Join(" ", [GIVENNAME], [surName])', { attributes: ['givenName', 'surname'] });
    expect(referencedAttributes(expr)).toEqual(['givenName', 'surname']);
  });
});

describe('parseExpression: errors', () => {
  it.each([
    ['', 'the expression is empty', 0],
    ['   ', 'the expression is empty', 0],
    ['Foo([a])', 'unknown function "Foo"', 0],
    ['Append([a])', 'Append takes 2 arguments but was given 1', 0],
    ['ToUpper(Guid(1))', 'Guid takes 0 arguments but was given 1', 8],
    ['ToLower("a", "en-US", "x")', 'ToLower takes 1 to 2 arguments but was given 3', 0],
    ['Join("")', 'Join takes at least 2 arguments but was given 1', 0],
    ['Append(, "x")', 'Append: source (argument 1) is required', 7],
    ['Mid([a], 1, )', 'Mid: length (argument 3) is required', 12],
    ['Append([a], "x"', 'expected "," or ")" but found the end of the expression', 15],
    ['Append([a] "x")', 'expected "," or ")" but found "x"', 11],
    ['Append([a], "x") "y"', 'expected the end of the expression but found "y"', 17],
    ['"abc', 'unterminated string', 0],
    ['Append([a, "x")', 'unterminated attribute name', 7],
    ['[ ]', 'empty attribute name', 0],
    ['"a\\d"', 'a backslash in a string must escape', 2],
    ['mail', 'expected "(" after the function name "mail"', 4],
    ['Append(,)', 'Append: source (argument 1) is required', 7],
    [',', 'expected a function, an [attribute], a "string" or a number but found ","', 0],
    ['[a] = [b] = [c]', 'comparisons cannot be chained', 10],
    ['&G1', 'expected a hexadecimal number', 0],
    ['Append([a], @)', 'unexpected "@"', 12],
    ['Switch([a], "d", "k")', 'Switch takes at least 4 arguments but was given 3', 0],
    ['Switch([a], "d", "k", "v", "k2")', 'an even number of arguments, not 5', 0],
    ['SelectUniqueValue([a])', 'SelectUniqueValue takes at least 2 arguments', 0],
    ['ToLower(SelectUniqueValue([a], [b]))', 'SelectUniqueValue must be the whole expression', 8],
    ['AppRoleAssignmentsComplex([appRoleAssignments])', 'AppRoleAssignmentsComplex is not supported', 0],
    ['SingleAppRoleAssignment([appRoleAssignments])', 'SingleAppRoleAssignment is not supported', 0],
    ['DateAdd("q", 1, Now())', 'unknown interval "q"', 8],
    ['DateDiff("week", Now(), Now())', 'unknown interval "week"', 9],
    ['Replace([a], , "(", , "", , )', 'invalid regexPattern', 15],
    ['Replace([a], , "(?<x>a)", "y", "", , )', 'regexGroupName "y" is not a named group', 26],
    ['Replace([a], "x", , , , , )', 'Replace needs oldValue with replacementValue or template', 0],
    ['Replace([a], "x", "y", , "z", , )', 'Replace takes oldValue or regexPattern, not both', 18],
    ['ToUpper([a], "not a culture!")', 'unknown culture "not a culture!"', 13],
    ['InStr("a", "b", 1, "vbFooCompare")', 'compareType must be vbBinaryCompare or vbTextCompare', 19],
    ['FormatDateTime([a], "Bogus", "yyyy", "MM")', 'unknown DateTimeStyles value "Bogus"', 20],
    ['FormatDateTime([a], , "q", "MM")', '"q" is not a standard date format', 22],
    ['FormatDateTime([a], , "yyyy\'", "MM")', 'unterminated quoted text', 22],
    ['RandomString(4, 3, 2, 0, 0)', 'the minimums add up to 5, more than the length 4', 0],
    ['RandomString(300, 3, 2, 0, 0)', 'length is at most 256', 0],
  ])('refuses %j', (text, message, position) => {
    const error = syntaxError(text);
    expect(error.message).toContain(message);
    expect(error.position).toBe(position);
    expect(error.message.endsWith(`at position ${position + 1}`)).toBe(true);
  });

  it('refuses an unknown attribute when it is given the known ones', () => {
    const error = syntaxError('Append([mail], [Mial])', { attributes: ['mail', 'givenName'] });
    expect(error.message).toBe('unknown attribute [Mial] (known: mail, givenName) at position 16');
    expect(error.position).toBe(15);
  });
});

describe('evaluateExpression: errors', () => {
  it.each<[string, Attributes, EvaluationErrorCode, string]>([
    ['CDate("yesterday")', {}, 'invalid-date', 'CDate: expression "yesterday" is not a date'],
    ['FormatDateTime("2021-13-01", , "yyyy-MM-dd", "yyyy")', {}, 'invalid-date', 'does not match the format "yyyy-MM-dd"'],
    ['FormatDateTime("30/06/2021", , "yyyy-MM-dd", "yyyy")', {}, 'invalid-date', 'does not match'],
    ['Mid([a], 0, 1)', { a: 'abc' }, 'invalid-argument', 'start is one-based'],
    ['Left([a], "x")', { a: 'abc' }, 'invalid-argument', 'numChars must be a number'],
    ['Item([a], 1.5)', { a: ['x'] }, 'invalid-argument', 'index must be a whole number'],
    ['ToLower([many])', { many: ['A', 'B'] }, 'multi-valued', 'source has 2 values where one is expected'],
    ['CBool("maybe")', {}, 'invalid-argument', 'neither true, false nor a number'],
    ['IIF([a] > 5, "x", "y")', { a: 'abc' }, 'invalid-argument', 'cannot compare "abc" with a number'],
    ['IIF([a] = [b], "x", "y")', { a: ['1', '2'], b: '1' }, 'invalid-argument', 'multi-valued'],
    ['Replace([a], , [pattern], , "", , )', { a: 'x', pattern: '(' }, 'invalid-pattern', 'Replace:'],
    ['DateAdd([interval], 1, Now())', { interval: 'q' }, 'invalid-argument', 'unknown interval "q"'],
    ['RandomString([length], 3, 0, 0, 0)', { length: '2' }, 'invalid-argument', 'add up to 3'],
    ['RandomString(4, 1, 0, 0, 0, "0123456789")', {}, 'invalid-argument', 'excludes a whole character class'],
    ['DateFromNum("yesterday")', {}, 'invalid-argument', 'Active Directory file time'],
    ['ToUpper([a], [culture])', { a: 'x', culture: 'not a culture!' }, 'invalid-argument', 'unknown culture'],
    ['FormatDateTime([a], [styles], "yyyy", "yyyy")', { a: '2021', styles: 'Sometimes' }, 'invalid-argument', 'unknown DateTimeStyles'],
  ])('%s fails with %s', (text, attributes, code, message) => {
    const error = evaluationError(text, attributes);
    expect(error.code).toBe(code);
    expect(error.message).toContain(message);
    expect(error.message).toMatch(/\(at position \d+\)$/);
  });

  it('evaluates both IIF branches, so an error in the one not taken still fails', () => {
    expect(evaluationError('IIF("True", "ok", CDate("not a date"))').code).toBe('invalid-date');
  });
});

describe('SelectUniqueValue', () => {
  const attributes = { PreferredFirstName: 'John', PreferredLastName: 'Smith' };
  const expr = parseExpression(uniqueUpn);

  it.each([
    [[], 'John.Smith@contoso.com'],
    [['John.Smith@contoso.com'], 'J.Smith@contoso.com'],
    [['John.Smith@contoso.com', 'J.Smith@contoso.com'], 'Jo.Smith@contoso.com'],
  ])('skips taken values %j', (taken, expected) => {
    const isUnique = (value: string) => !taken.includes(value);
    expect(evaluateExpression(expr, context(attributes, { isUnique }))).toBe(expected);
  });

  it('fails with no-unique-value when every candidate is taken', () => {
    const error = evaluationError(uniqueUpn, attributes, { isUnique: () => false });
    expect(error).toBeInstanceOf(ExpressionEvaluationError);
    expect(error.code).toBe('no-unique-value');
    expect(error.message).toContain('no unique value');
  });

  it('lists the candidates in order, without empties or repeats, for an async caller to check', () => {
    expect(uniqueValueCandidates(expr, context(attributes))).toEqual(['John.Smith@contoso.com', 'J.Smith@contoso.com', 'Jo.Smith@contoso.com']);
    expect(uniqueValueCandidates(expr, context({ PreferredFirstName: 'J', PreferredLastName: 'Li' }))).toEqual(['J.Li@contoso.com']);
    expect(uniqueValueCandidates(parseExpression('SelectUniqueValue([a], IgnoreFlowIfNullOrEmpty([b]), "c")'), context({ a: '' }))).toEqual(['c']);
    expect(uniqueValueCandidates(parseExpression('Join(".", [a], [b])'), context(attributes))).toEqual([]);
  });

  it('gives the same candidates to the pre-check and to the evaluation when random replays', () => {
    const random = () => seeded(7);
    const withRandom = parseExpression('SelectUniqueValue(Join("-", [a], RandomString(4, 4, 0, 0, 0)), Join("-", [a], RandomString(4, 4, 0, 0, 0)))');
    const [first, second] = uniqueValueCandidates(withRandom, context({ a: 'x' }, { random: random() }));
    const taken = new Set([first]);
    expect(evaluateExpression(withRandom, context({ a: 'x' }, { random: random(), isUnique: (value) => !taken.has(value) }))).toBe(second);
  });
});

describe('random values', () => {
  it('makes a version 4 GUID from the context random source', () => {
    const guid = evaluate('Guid()');
    expect(guid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(evaluate('Guid()')).toBe(guid);
    expect(evaluate('Guid()', {}, { random: seeded(1) })).not.toBe(guid);
  });

  const classes = (value: string) => ({
    digits: value.replace(/[^0-9]/g, '').length,
    capitals: value.replace(/[^A-Z]/g, '').length,
    lower: value.replace(/[^a-z]/g, '').length,
    special: value.replace(/[A-Za-z0-9]/g, '').length,
  });

  it.each([1, 2, 3, 4, 5])('meets the minimums of the reference example 1 (seed %i)', (seed) => {
    const value = evaluate('RandomString(6,3,0,0,3)', {}, { random: seeded(seed) });
    expect(typeof value).toBe('string');
    expect(classes(value as string)).toEqual({ digits: 3, capitals: 0, lower: 3, special: 0 });
  });

  it.each([1, 2, 3, 4, 5])('meets the minimums and exclusions of the reference example 2 (seed %i)', (seed) => {
    const value = evaluate('RandomString(10,2,2,2,1,"?,")', {}, { random: seeded(seed) }) as string;
    expect(value).toHaveLength(10);
    const found = classes(value);
    expect(found.digits).toBeGreaterThanOrEqual(2);
    expect(found.special).toBeGreaterThanOrEqual(2);
    expect(found.capitals).toBeGreaterThanOrEqual(2);
    expect(found.lower).toBeGreaterThanOrEqual(1);
    expect(value).not.toMatch(/[?,]/);
  });

  it('redacts a random string without changing it (reference example 3)', () => {
    const expr = parseExpression('Redact(RandomString(6,3,0,0,3))');
    expect(isRedacted(expr)).toBe(true);
    expect(evaluateExpression(expr, context())).toBe(evaluate('RandomString(6,3,0,0,3)'));
    expect(isRedacted(parseExpression('Append(Redact([a]), "x")'))).toBe(true);
    expect(isRedacted(parseExpression('Append([a], "x")'))).toBe(false);
  });
});

describe('attribute values', () => {
  it('looks attribute names up case-insensitively when the exact name is absent', () => {
    expect(evaluate('[MAIL]', { mail: 'a@contoso.com' })).toBe('a@contoso.com');
    expect(evaluate('[Mail]', { mail: 'lower', Mail: 'exact' })).toBe('exact');
  });

  it('passes multi-valued attributes through as arrays', () => {
    expect(evaluate('[proxyAddresses]', { proxyAddresses })).toEqual(proxyAddresses);
  });

  it('treats an undefined attribute as null', () => {
    expect(evaluate('[missing]', { missing: undefined })).toBeNull();
  });
});

describe('DefaultDomain', () => {
  it('gives the configured default domain, so UPNs follow the installation', () => {
    expect(evaluate('DefaultDomain()', {}, { defaultDomain: 'corp.example.com' })).toBe('corp.example.com');
    expect(evaluate('Join("@", [username], DefaultDomain())', { username: 'zoe.angstrom' }, { defaultDomain: 'corp.example.com' })).toBe('zoe.angstrom@corp.example.com');
  });

  it('takes no arguments', () => {
    expect(syntaxError('DefaultDomain("x")').message).toBe('DefaultDomain takes 0 arguments but was given 1 at position 1');
  });

  it('fails to evaluate without a configured domain (configuration refuses such an expression before this)', () => {
    const error = evaluationError('Append(DefaultDomain(), "x")');
    expect(error.code).toBe('invalid-argument');
    expect(error.message).toContain('no default domain is configured');
  });

  it('is found wherever it is nested', () => {
    expect(usesFunction(parseExpression('IIF([a]="x", Join("@", [b], DefaultDomain()), "n")'), 'DefaultDomain')).toBe(true);
    expect(usesFunction(parseExpression('Join("@", [b], "example.com")'), 'DefaultDomain')).toBe(false);
  });
});

describe('parseExpression: bounds', () => {
  it('refuses an expression longer than the limit before reading it', () => {
    expect(syntaxError(`"${'x'.repeat(maxExpressionLength)}"`).message).toBe(`the expression is longer than ${maxExpressionLength} characters at position ${maxExpressionLength + 1}`);
  });

  it('refuses calls nested deeper than the bound instead of exhausting the stack', () => {
    const nested = (depth: number) => `${'ToLower('.repeat(depth)}"x"${')'.repeat(depth)}`;
    expect(evaluate(nested(maxExpressionDepth))).toBe('x');
    expect(syntaxError(nested(maxExpressionDepth + 1)).message).toMatch(new RegExp(`nests calls deeper than ${maxExpressionDepth} levels`));
    // Thousands of levels would overflow a recursive parser: the length limit or the depth bound stops them first.
    expect(syntaxError('ToLower('.repeat(20_000)).message).toMatch(/longer than/);
    expect(syntaxError(nested(1200).slice(0, maxExpressionLength)).message).toMatch(/nests calls deeper/);
  });
});

describe('referencedAttributes and functionNames', () => {
  it('lists the attributes an expression reads, once each, in order of first use', () => {
    expect(referencedAttributes(parseExpression('IIF([country]="USA",[country],Coalesce([department], [division], [country]))'))).toEqual([
      'country',
      'department',
      'division',
    ]);
    expect(referencedAttributes(parseExpression('"constant"'))).toEqual([]);
  });

  it('names every function of the reference except the two app role functions', () => {
    expect(functionNames).toHaveLength(43);
    expect(functionNames).toEqual(expect.arrayContaining(['Len', 'DefaultDomain']));
    expect(functionNames).toContain('SelectUniqueValue');
    expect(functionNames).not.toContain('AppRoleAssignmentsComplex');
    expect(functionNames).not.toContain('SingleAppRoleAssignment');
    for (const name of functionNames) expect(syntaxError(`${name}(`).message).not.toContain('unknown function');
  });
});
