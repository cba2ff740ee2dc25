"""The forum pages of the portal (`portal`) and the moderators' actions (`moderation`)."""
