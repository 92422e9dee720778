import type { VNode } from 'preact';

/**
 * Whom a person without access asks (reference 002: "through your administrator"): the
 * organization's admins as mail links after `intro`, or what to do when it has none.
 */
export function AdminContacts(props: { admins: readonly string[]; intro: string }): VNode {
  if (props.admins.length === 0)
    return <p>This organization has no administrator yet; ask the platform operator to add one.</p>;
  return (
    <>
      <p>{props.intro}</p>
      <ul class="lk-admins">
        {props.admins.map((email) => (
          <li>
            <a href={`mailto:${email}`}>{email}</a>
          </li>
        ))}
      </ul>
    </>
  );
}
